package server

import "context"

// ping is GET /readyz's check: one trivial query on the read pool, within
// the request's deadline.
func (s *Server) ping(ctx context.Context) error {
	db, err := s.DB.Read.DB()
	if err != nil {
		return err
	}
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
