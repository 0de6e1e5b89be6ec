package hooks_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
)

// TestSwapUnderLoad swaps 40 script generations in while 16 goroutines run
// a hooked operation and an RPC: no call fails, none runs on a generation
// after it drained (when its VMs would be closed), a goroutine never goes
// back to an older generation, and the Go hook runs on every call.
func TestSwapUnderLoad(t *testing.T) {
	r := hooks.New(nil)
	var goCalls atomic.Int64
	hooks.JoinGroup.Before(r, func(ctx context.Context, c *hooks.Caller, req *groups.JoinGroupRequest) (*groups.JoinGroupRequest, error) {
		goCalls.Add(1)
		return req, nil
	})
	type gen struct{ closed atomic.Bool }
	stage := func(n int) (*hooks.Registry, *gen) {
		g := &gen{}
		s := r.Stage()
		check := func() error {
			if g.closed.Load() {
				return fmt.Errorf("call on generation %d after it drained", n)
			}
			return nil
		}
		hooks.JoinGroup.Before(s, func(ctx context.Context, c *hooks.Caller, req *groups.JoinGroupRequest) (*groups.JoinGroupRequest, error) {
			if err := check(); err != nil {
				return nil, err
			}
			goruntime.Gosched()
			return req, check()
		})
		hooks.JoinGroup.After(s, func(ctx context.Context, c *hooks.Caller, req *groups.JoinGroupRequest, _ hooks.Empty) error {
			return check()
		})
		s.RegisterRPC("Version", func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
			goruntime.Gosched()
			return strconv.Itoa(n), check()
		})
		return s, g
	}
	s, g := stage(1)
	if old, live := r.Swap(s); old != nil || live.ID != 1 {
		t.Fatalf("first swap: old %v, live %v", old, live)
	}
	prev := g

	var stop atomic.Bool
	var calls atomic.Int64
	errc := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for !stop.Load() {
				_, err := hooks.Run(context.Background(), hooks.JoinGroup.Point(r), &hooks.Caller{}, &groups.JoinGroupRequest{GroupID: "g"},
					func(context.Context, *groups.JoinGroupRequest) (hooks.Empty, error) { return hooks.Empty{}, nil })
				if err != nil {
					errc <- err
					return
				}
				fn, ok := r.RPC("version")
				if !ok {
					errc <- errors.New("rpc not found")
					return
				}
				out, err := fn(context.Background(), &hooks.Caller{}, "")
				if err != nil {
					errc <- err
					return
				}
				n, _ := strconv.Atoi(out)
				if n < last {
					errc <- fmt.Errorf("went back from generation %d to %d", last, n)
					return
				}
				last = n
				calls.Add(1)
			}
		}()
	}
	for i := 2; i <= 40; i++ {
		// Let calls run on each generation before the next swap.
		for want, deadline := calls.Load()+16, time.Now().Add(10*time.Second); calls.Load() < want; {
			if time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				close(errc)
				for err := range errc {
					t.Error(err)
				}
				t.Fatalf("generation %d: no calls completed", i-1)
			}
			goruntime.Gosched()
		}
		s, g := stage(i)
		old, live := r.Swap(s)
		if live.ID != int64(i) || r.Live() != live {
			t.Fatalf("swap %d: live %d", i, live.ID)
		}
		<-old.Drained()
		prev.closed.Store(true) // what closing the old VMs would do
		prev = g
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if calls.Load() == 0 || goCalls.Load() < calls.Load() {
		t.Errorf("%d calls, %d Go hook calls", calls.Load(), goCalls.Load())
	}
	if ids := r.RPCIDs(); len(ids) != 1 || ids[0] != "version" {
		t.Errorf("RPCIDs %v", ids)
	}
}

// TestSwapToNoScripts: a generation without hooks leaves the Go hooks only,
// and its RPCs are gone.
func TestSwapToNoScripts(t *testing.T) {
	r := hooks.New(nil)
	if hooks.KickGroupUsers.Point(r).Hooked() {
		t.Fatal("hooked before any registration")
	}
	s := r.Stage()
	hooks.KickGroupUsers.Before(s, func(ctx context.Context, c *hooks.Caller, req *groups.GroupUsersRequest) (*groups.GroupUsersRequest, error) {
		return nil, nil
	})
	s.RegisterRPC("x", func(context.Context, *hooks.Caller, string) (string, error) { return "", nil })
	r.Swap(s)
	if !hooks.KickGroupUsers.Point(r).Hooked() {
		t.Fatal("script hook not live")
	}
	if _, ok := r.RPC("X"); !ok {
		t.Fatal("script RPC not live")
	}
	old, _ := r.Swap(r.Stage())
	<-old.Drained()
	if hooks.KickGroupUsers.Point(r).Hooked() {
		t.Fatal("script hook still live after swapping in an empty generation")
	}
	if _, ok := r.RPC("x"); ok {
		t.Fatal("script RPC still live")
	}
}
