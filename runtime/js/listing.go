package js

import "github.com/guildhall/guildhall/runtime"

// Listing describes the module's registrations for listings, in
// registration order: the module file (as named in stack traces) and the
// registered function's name.
func (r *Runtime) Listing() []runtime.Registration {
	out := make([]runtime.Registration, len(r.regs))
	for i, g := range r.regs {
		out[i] = runtime.Registration{Kind: g.kind, Name: g.name, Language: "javascript", File: r.module, Function: g.fn}
	}
	return out
}
