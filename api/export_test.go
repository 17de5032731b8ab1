package api

// Patterns are the route patterns s serves, in the order they were
// registered: the API's, the payment module's and its pages'.
func Patterns(s *Server) []string { return s.mux.patterns }
