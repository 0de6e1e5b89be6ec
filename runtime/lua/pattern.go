package lua

import (
	"context"
	"strconv"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// Lua patterns with a bounded amount of work.
//
// gopher-lua's string.find/match/gmatch/gsub run its pattern engine to the
// end without looking at the call's context, so a backtracking pattern such
// as string.rep("a", 3000):find(".-.-.-b") keeps a VM busy forever. These
// replacements implement Lua 5.1's pattern language with a backtracking
// matcher that counts its steps: every patternCheckEvery steps it checks the
// call's context (deadline, cancellation, memory watchdog), and past
// maxPatternSteps it gives up with "pattern too complex". Results that grow
// (gsub) are checked against the per-call size cap before they are built.

const (
	maxCaptures       = 32
	maxPatternDepth   = 200     // nested matcher calls (Lua's MAXCCALLS)
	patternCheckEvery = 1 << 12 // steps between context checks
	maxPatternSteps   = 1 << 28 // hard bound even without a deadline
	capUnfinished     = -1
	capPosition       = -2
)

// patternError is raised (panicked) inside the matcher and turned into a Lua
// error by the string function that ran it.
type patternError string

type capture struct{ init, len int }

// matcher is the state of one pattern run over one subject.
type matcher struct {
	src, pat string
	ctx      context.Context
	level    int
	depth    int
	steps    int
	capture  [maxCaptures]capture
}

func (m *matcher) fail(msg string) { panic(patternError(msg)) }

// step counts work and checks the context every patternCheckEvery steps.
func (m *matcher) step() {
	m.steps++
	if m.steps%patternCheckEvery != 0 {
		return
	}
	if m.steps >= maxPatternSteps {
		m.fail("pattern too complex")
	}
	if m.ctx != nil && m.ctx.Err() != nil {
		m.fail("pattern matching interrupted: " + m.ctx.Err().Error())
	}
}

// classEnd returns the index just past the single-character class at p.
func (m *matcher) classEnd(p int) int {
	pat := m.pat
	c := pat[p]
	p++
	switch c {
	case '%':
		if p >= len(pat) {
			m.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first character is part of the set even if it is ']'
			if p >= len(pat) {
				m.fail("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' {
				p++
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

// matchClass reports whether c is in the class %cl.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = '0' <= c && c <= '9'
	case 'g':
		res = 32 < c && c < 127
	case 'l':
		res = 'a' <= c && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = c == ' ' || ('\t' <= c && c <= '\r')
	case 'u':
		res = 'A' <= c && c <= 'Z'
	case 'w':
		res = isAlpha(c) || ('0' <= c && c <= '9')
	case 'x':
		res = ('0' <= c && c <= '9') || ('a' <= c|0x20 && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if 'A' <= cl && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isPunct(c byte) bool { return 32 < c && c < 127 && !isAlpha(c) && !('0' <= c && c <= '9') }

// matchSet reports whether c is in the set pat[p] == '[' .. pat[end] == ']'.
func (m *matcher) matchSet(c byte, p, end int) bool {
	pat := m.pat
	in := true
	p++
	if pat[p] == '^' {
		in = false
		p++
	}
	for ; p < end; p++ {
		switch {
		case pat[p] == '%' && p+1 < end:
			p++
			if matchClass(c, pat[p]) {
				return in
			}
		case p+2 < end && pat[p+1] == '-':
			if pat[p] <= c && c <= pat[p+2] {
				return in
			}
			p += 2
		case pat[p] == c:
			return in
		}
	}
	return !in
}

// single reports whether src[s] matches the class pat[p:ep].
func (m *matcher) single(s, p, ep int) bool {
	if s >= len(m.src) {
		return false
	}
	c := m.src[s]
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.pat[p+1])
	case '[':
		return m.matchSet(c, p, ep-1)
	}
	return m.pat[p] == c
}

// match matches pat[p:] at src[s:] and returns the end of the match or -1.
func (m *matcher) match(s, p int) int {
	m.depth++
	if m.depth > maxPatternDepth {
		m.fail("pattern too complex")
	}
	defer func() { m.depth-- }()
	pat := m.pat
	for {
		m.step()
		if p >= len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(m.src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch c := pat[p+1]; {
				case c == 'b':
					s = m.matchBalance(s, p+2)
					if s == -1 {
						return -1
					}
					p += 4
					continue
				case c == 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						m.fail("missing '[' after '%f' in pattern")
					}
					ep := m.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = m.src[s-1]
					}
					if s < len(m.src) {
						cur = m.src[s]
					}
					if m.matchSet(prev, p, ep-1) || !m.matchSet(cur, p, ep-1) {
						return -1
					}
					p = ep
					continue
				case '0' <= c && c <= '9':
					s = m.matchCapture(s, c)
					if s == -1 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		ep := m.classEnd(p)
		ok := m.single(s, p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if ok {
					if r := m.match(s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '+':
				if !ok {
					return -1
				}
				return m.maxExpand(s+1, p, ep)
			case '*':
				return m.maxExpand(s, p, ep)
			case '-':
				return m.minExpand(s, p, ep)
			}
		}
		if !ok {
			return -1
		}
		s++
		p = ep
	}
}

func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for m.single(s+i, p, ep) {
		m.step()
		i++
	}
	for ; i >= 0; i-- {
		if r := m.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if r := m.match(s, ep+1); r != -1 {
			return r
		}
		if !m.single(s, p, ep) {
			return -1
		}
		s++
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		m.fail("too many captures")
	}
	m.capture[m.level] = capture{init: s, len: what}
	m.level++
	r := m.match(s, p)
	if r == -1 {
		m.level--
	}
	return r
}

func (m *matcher) endCapture(s, p int) int {
	l := -1
	for i := m.level - 1; i >= 0; i-- {
		if m.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		m.fail("invalid pattern capture")
	}
	m.capture[l].len = s - m.capture[l].init
	r := m.match(s, p)
	if r == -1 {
		m.capture[l].len = capUnfinished
	}
	return r
}

func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		m.fail("missing arguments to '%b'")
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	open, close := m.pat[p], m.pat[p+1]
	depth := 1
	for s++; s < len(m.src); s++ {
		m.step()
		switch m.src[s] {
		case close:
			depth--
			if depth == 0 {
				return s + 1
			}
		case open:
			depth++
		}
	}
	return -1
}

func (m *matcher) matchCapture(s int, c byte) int {
	l := int(c - '1')
	if l < 0 || l >= m.level || m.capture[l].len == capUnfinished {
		m.fail("invalid capture index")
	}
	cp := m.capture[l]
	if cp.len < 0 { // a position capture matches nothing
		return s
	}
	if len(m.src)-s >= cp.len && m.src[cp.init:cp.init+cp.len] == m.src[s:s+cp.len] {
		return s + cp.len
	}
	return -1
}

// captureValue is capture i of a match src[s:e]: the whole match when the
// pattern has no captures and i is 0.
func (m *matcher) captureValue(i, s, e int) glua.LValue {
	if i >= m.level {
		if i != 0 {
			m.fail("invalid capture index")
		}
		return glua.LString(m.src[s:e])
	}
	cp := m.capture[i]
	switch cp.len {
	case capUnfinished:
		m.fail("unfinished capture")
	case capPosition:
		return glua.LNumber(cp.init + 1)
	}
	return glua.LString(m.src[cp.init : cp.init+cp.len])
}

// pushCaptures pushes the captures of a match (or the whole match when there
// are none and whole is set) and returns how many.
func (m *matcher) pushCaptures(L *glua.LState, s, e int, whole bool) int {
	n := m.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		L.Push(m.captureValue(i, s, e))
	}
	return n
}

// The matcher reports failures by panicking with a patternError; these
// entry points recover it (without allocating: they run once per match) and
// raise it as a Lua error of fname.

func (m *matcher) raise(L *glua.LState, fname string, perr patternError) {
	L.RaiseError("%s: %s", fname, string(perr))
}

func catch(perr *patternError) {
	if r := recover(); r != nil {
		pe, ok := r.(patternError)
		if !ok {
			panic(r)
		}
		*perr = pe
	}
}

// try matches the pattern from pat[p] at src[s], with no captures yet.
func (m *matcher) try(L *glua.LState, fname string, s, p int) int {
	e, perr := m.tryE(s, p)
	if perr != "" {
		m.raise(L, fname, perr)
	}
	return e
}

func (m *matcher) tryE(s, p int) (e int, perr patternError) {
	defer catch(&perr)
	m.level = 0
	return m.match(s, p), ""
}

// push pushes the captures of the match src[s:e] (see pushCaptures).
func (m *matcher) push(L *glua.LState, fname string, s, e int, whole bool) int {
	n, perr := m.pushE(L, s, e, whole)
	if perr != "" {
		m.raise(L, fname, perr)
	}
	return n
}

func (m *matcher) pushE(L *glua.LState, s, e int, whole bool) (n int, perr patternError) {
	defer catch(&perr)
	return m.pushCaptures(L, s, e, whole), ""
}

// value is capture i of the match src[s:e] (see captureValue).
func (m *matcher) value(L *glua.LState, fname string, i, s, e int) glua.LValue {
	v, perr := m.valueE(i, s, e)
	if perr != "" {
		m.raise(L, fname, perr)
	}
	return v
}

func (m *matcher) valueE(i, s, e int) (v glua.LValue, perr patternError) {
	defer catch(&perr)
	return m.captureValue(i, s, e), ""
}

// specials are the characters that make a pattern more than plain text.
const specials = "^$*+?.([%-"

func strIndex(n, l int) int {
	if n < 0 {
		n = l + n + 1
	}
	n--
	if n < 0 {
		return 0
	}
	if n > l {
		return l
	}
	return n
}

func (v *vm) newMatcher(src, pat string) *matcher {
	return &matcher{src: src, pat: pat, ctx: v.L.Context()}
}

// strFind is string.find (find) or string.match (!find).
func (v *vm) strFind(find bool) glua.LGFunction {
	fname := "string.match"
	if find {
		fname = "string.find"
	}
	return func(L *glua.LState) int {
		src, pat := L.CheckString(1), L.CheckString(2)
		init := strIndex(L.OptInt(3, 1), len(src))
		if find && (glua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, specials)) {
			i := strings.Index(src[init:], pat)
			if i < 0 {
				L.Push(glua.LNil)
				return 1
			}
			L.Push(glua.LNumber(init + i + 1))
			L.Push(glua.LNumber(init + i + len(pat)))
			return 2
		}
		m := v.newMatcher(src, pat)
		p, anchor := 0, len(pat) > 0 && pat[0] == '^'
		if anchor {
			p = 1
		}
		for s := init; ; s++ {
			if e := m.try(L, fname, s, p); e != -1 {
				if find {
					L.Push(glua.LNumber(s + 1))
					L.Push(glua.LNumber(e))
					return 2 + m.push(L, fname, s, e, false)
				}
				return m.push(L, fname, s, e, true)
			}
			if anchor || s >= len(src) {
				L.Push(glua.LNil)
				return 1
			}
		}
	}
}

// strGmatch is string.gmatch: an iterator over the matches, found lazily.
func (v *vm) strGmatch(L *glua.LState) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *glua.LState) int {
		m := v.newMatcher(src, pat)
		for s := pos; s <= len(src); s++ {
			if e := m.try(L, "string.gmatch", s, 0); e != -1 {
				pos = e
				if e == s {
					pos++
				}
				return m.push(L, "string.gmatch", s, e, true)
			}
		}
		pos = len(src) + 1
		return 0
	}))
	return 1
}

// strGsub is string.gsub with its result bounded by the size cap.
func (v *vm) strGsub(L *glua.LState) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case glua.LTNumber, glua.LTString, glua.LTTable, glua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	limit := v.r.maxBuild
	m := v.newMatcher(src, pat)
	p, anchor := 0, len(pat) > 0 && pat[0] == '^'
	if anchor {
		p = 1
	}
	var b strings.Builder
	write := func(s string) {
		if b.Len()+len(s) > limit {
			v.tooLarge(L, "string.gsub")
		}
		b.WriteString(s)
	}
	n, s := 0, 0
	var replText string
	if repl.Type() == glua.LTString || repl.Type() == glua.LTNumber {
		replText = glua.LVAsString(repl)
	}
	for n < maxN {
		e := m.try(L, "string.gsub", s, p)
		if e != -1 {
			n++
			v.gsubValue(L, m, repl, replText, s, e, write)
		}
		switch {
		case e != -1 && e > s:
			s = e
		case s < len(src):
			if b.Len()+1 > limit {
				v.tooLarge(L, "string.gsub")
			}
			b.WriteByte(src[s])
			s++
		default:
			maxN = n // done
		}
		if anchor {
			break
		}
	}
	write(src[s:])
	L.Push(glua.LString(b.String()))
	L.Push(glua.LNumber(n))
	return 2
}

// gsubValue writes the replacement of the match src[s:e].
func (v *vm) gsubValue(L *glua.LState, m *matcher, repl glua.LValue, replText string, s, e int, write func(string)) {
	var val glua.LValue
	switch r := repl.(type) {
	case glua.LString, glua.LNumber:
		for i := 0; i < len(replText); i++ {
			c := replText[i]
			if c != '%' || i+1 >= len(replText) {
				write(replText[i : i+1])
				continue
			}
			i++
			c = replText[i]
			switch {
			case c == '0':
				write(m.src[s:e])
			case '1' <= c && c <= '9':
				write(glua.LVAsString(m.value(L, "string.gsub", int(c-'1'), s, e)))
			default:
				write(replText[i : i+1])
			}
		}
		return
	case *glua.LTable:
		val = L.GetTable(r, m.value(L, "string.gsub", 0, s, e))
	case *glua.LFunction:
		L.Push(r)
		nargs := m.push(L, "string.gsub", s, e, true)
		// The function may run patterns itself; m's captures stay valid as
		// they belong to this call only.
		L.Call(nargs, 1)
		val = L.Get(-1)
		L.Pop(1)
	}
	switch t := val.(type) {
	case *glua.LNilType:
		write(m.src[s:e])
	case glua.LBool:
		if !bool(t) {
			write(m.src[s:e])
			return
		}
		L.RaiseError("string.gsub: invalid replacement value (a boolean)")
	case glua.LString:
		write(string(t))
	case glua.LNumber:
		write(glua.LVAsString(t))
	default:
		L.RaiseError("string.gsub: invalid replacement value (a %s)", val.Type().String())
	}
}

// tooLarge raises the error of a builtin whose result would pass the cap.
func (v *vm) tooLarge(L *glua.LState, fname string) {
	L.RaiseError("script exceeded its memory limit: %s result larger than %s bytes", fname, strconv.Itoa(v.r.maxBuild))
}
