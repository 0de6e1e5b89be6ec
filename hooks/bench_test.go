package hooks_test

import (
	"context"
	"testing"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// BenchmarkRun measures the pipeline's own cost with one pass-through
// before hook: registered as a Go hook, and as a script generation's (which
// adds entering and leaving the generation), in parallel.
func BenchmarkRun(b *testing.B) {
	pass := func(ctx context.Context, c *hooks.Caller, req *groups.JoinGroupRequest) (*groups.JoinGroupRequest, error) {
		return req, nil
	}
	op := func(context.Context, *groups.JoinGroupRequest) (hooks.Empty, error) { return hooks.Empty{}, nil }
	for _, tc := range []struct {
		name string
		reg  func(r *hooks.Registry)
	}{
		{"none", func(*hooks.Registry) {}},
		{"go", func(r *hooks.Registry) { hooks.JoinGroup.Before(r, pass) }},
		{"generation", func(r *hooks.Registry) {
			s := r.Stage()
			hooks.JoinGroup.Before(s, pass)
			r.Swap(s)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := hooks.New(nil)
			tc.reg(r)
			req := &groups.JoinGroupRequest{GroupID: "g"}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := hooks.Run(context.Background(), hooks.JoinGroup.Point(r), nil, req, op); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
