package testapp

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/hooks"
)

// SampleRequest is a request of o with every client field set to a value
// of its kind that no default produces, so a lost or renamed field shows.
func SampleRequest(o hooks.Operation) any {
	plan, req := o.Plan(), o.NewRequest()
	for i := range plan.Fields {
		f := &plan.Fields[i]
		if f.Server {
			continue
		}
		switch f.Kind {
		case codec.String, codec.OptString:
			plan.SetString(req, f, "v-"+f.Name)
		case codec.Bool, codec.OptBool:
			plan.SetBool(req, f, true)
		case codec.Int, codec.OptInt:
			plan.SetInt(req, f, int64(3+i))
		case codec.Strings:
			plan.SetStrings(req, f, []string{"a-" + f.Name, "b-" + f.Name})
		}
	}
	return req
}

var errCaptured = errors.New("captured")

// RequestAfterHooks runs o's client call with sample in r, whose script
// hooks are already registered, and returns the request as the service
// would have received it (a last Go before hook captures it and stops the
// call there).
func RequestAfterHooks(t testing.TB, r *hooks.Registry, o hooks.Operation, sample any) (any, error) {
	t.Helper()
	var got any
	o.BeforeAny(r, func(_ context.Context, _ *hooks.Caller, req any) (any, error) {
		got = req
		return nil, errCaptured
	})
	_, err := o.Call(context.Background(), r, &hooks.Caller{UserID: "u1"}, nil, sample)
	if errors.Is(err, errCaptured) {
		return got, nil
	}
	return nil, err
}

// SameRequest fails t when a and b differ.
func SameRequest(t testing.TB, name string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: after the hook the request is\n%#v\nwant\n%#v", name, got, want)
	}
}

// ChangedStrings is sample with every string field (set in it) replaced by
// to(key), key being the field's camelCase name when camel is set, else its
// snake_case name: what a hook rewriting every string field returns.
func ChangedStrings(o hooks.Operation, sample any, to func(string) string, camel bool) any {
	plan := o.Plan()
	for i := range plan.Fields {
		f := &plan.Fields[i]
		if f.Server || (f.Kind != codec.String && f.Kind != codec.OptString) {
			continue
		}
		key := f.Name
		if camel {
			key = f.Camel
		}
		plan.SetString(sample, f, to(key))
	}
	return sample
}
