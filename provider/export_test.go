package provider

// The e-mail texts, for the tests of their languages.
var (
	SigningMail = signingMail
	CodeMail    = codeMail
	SubjectOf   = subjectOf
)
