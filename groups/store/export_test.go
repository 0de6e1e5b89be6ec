package store

// RoundTrips returns how many batches (round trips) the store's PostgreSQL
// transactions have sent.
func (s *Groups) RoundTrips() int64 { return s.batches.Load() }
