package accounts

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkVerifySessionCached is VerifySession's hot path: the token parsed
// and the session verified recently, so both caches answer (no database).
func BenchmarkVerifySessionCached(b *testing.B) {
	s := New(nil, keyed(Config{VerifyCacheTTL: time.Hour}))
	const users = 64
	tokens := make([]string, users)
	for i := range tokens {
		c := tokenClaims{TokenID: uuid.NewString(), UserID: uuid.NewString(), Username: fmt.Sprint("u", i),
			ExpiresAt: time.Now().Add(time.Hour).Unix(), IssuedAt: time.Now().Unix(), Type: typeSession}
		tok, err := signToken(DefaultEncryptionKey, c)
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
		s.tokens.put(tok, c)
		s.cache.store(c.TokenID, c.UserID, s.cache.epoch(), s.now())
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.VerifySession(ctx, tokens[i%users]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
