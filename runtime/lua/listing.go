package lua

import "github.com/guildhall/guildhall/runtime"

// Listing describes the modules' registrations for listings, in
// registration order: where each function is defined (file:line, relative
// to the runtime path).
func (r *Runtime) Listing() []runtime.Registration {
	out := make([]runtime.Registration, len(r.regs))
	for i, rg := range r.regs {
		out[i] = runtime.Registration{Kind: rg.kind, Name: rg.name, Language: "lua", File: rg.where}
	}
	return out
}
