package eio

// HasParkedGET reports whether s has a polling GET waiting (tests only).
func HasParkedGET(s *Session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get != nil
}
