package client

// The tests decode answers strictly: a member the types lack fails them.
func init() { strictDecoding = true }
