package lua

import (
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// Builtins that build one large string in a single step run to completion
// before the VM looks at its context again, so the memory watchdog cannot
// stop them: their result size is predicted and checked against the per-call
// cap (Runtime.maxBuild) before anything is allocated.

// maxFormatWidth is the largest width or precision Go's fmt honours (larger
// ones print an error marker instead of padding).
const maxFormatWidth = 1e6

// guardLibs replaces string.rep/format/find/match/gmatch/gsub and
// table.concat with bounded versions.
func (v *vm) guardLibs() {
	L := v.L
	str := L.GetGlobal(glua.StringLibName).(*glua.LTable)
	str.RawSetString("dump", glua.LNil)
	str.RawSetString("rep", L.NewFunction(v.strRep))
	format := str.RawGetString("format").(*glua.LFunction).GFunction
	str.RawSetString("format", L.NewFunction(v.strFormat(format)))
	str.RawSetString("find", L.NewFunction(v.strFind(true)))
	str.RawSetString("match", L.NewFunction(v.strFind(false)))
	gmatch := L.NewFunction(v.strGmatch)
	str.RawSetString("gmatch", gmatch)
	str.RawSetString("gfind", gmatch)
	str.RawSetString("gsub", L.NewFunction(v.strGsub))

	tab := L.GetGlobal(glua.TabLibName).(*glua.LTable)
	concat := tab.RawGetString("concat").(*glua.LFunction).GFunction
	tab.RawSetString("concat", L.NewFunction(v.tableConcat(concat)))
}

// repLimit is string.rep's cap: the per-call cap, and never more than
// maxStringRep.
func (v *vm) repLimit() int {
	return min(v.r.maxBuild, maxStringRep)
}

// strRep is string.rep with a bound on the result's size.
func (v *vm) strRep(L *glua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(glua.LString(""))
		return 1
	}
	if len(s) > v.repLimit()/n {
		L.RaiseError("script exceeded its memory limit: string.rep result larger than %d bytes", v.repLimit())
	}
	L.Push(glua.LString(strings.Repeat(s, n)))
	return 1
}

// strFormat wraps gopher-lua's string.format: the result cannot be longer
// than the format plus the arguments' text plus each directive's width and
// precision, so that bound is checked first.
func (v *vm) strFormat(format glua.LGFunction) glua.LGFunction {
	return func(L *glua.LState) int {
		f := L.CheckString(1)
		size := len(f)
		for i := 2; i <= L.GetTop(); i++ {
			if s, ok := L.Get(i).(glua.LString); ok {
				size += len(s)
			} else {
				size += 64 // numbers, booleans, "table: 0x…"
			}
		}
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			// Flags, then width and precision, each at most maxFormatWidth.
			for i++; i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0; i++ {
			}
			w := 0
			for ; i < len(f) && '0' <= f[i] && f[i] <= '9'; i++ {
				w = min(w*10+int(f[i]-'0'), maxFormatWidth)
			}
			size += w
			if i < len(f) && f[i] == '.' {
				w = 0
				for i++; i < len(f) && '0' <= f[i] && f[i] <= '9'; i++ {
					w = min(w*10+int(f[i]-'0'), maxFormatWidth)
				}
				size += w
			}
			if size > v.r.maxBuild {
				break
			}
		}
		if size > v.r.maxBuild {
			v.tooLarge(L, "string.format")
		}
		return format(L)
	}
}

// tableConcat wraps gopher-lua's table.concat: the result's size is summed
// from the parts first.
func (v *vm) tableConcat(concat glua.LGFunction) glua.LGFunction {
	return func(L *glua.LState) int {
		t := L.CheckTable(1)
		sep := len(L.OptString(2, ""))
		n := t.Len()
		i, j := max(L.OptInt(3, 1), 1), min(L.OptInt(4, n), n)
		size := 0
		for ; i <= j; i++ {
			switch e := t.RawGetInt(i).(type) {
			case glua.LString:
				size += len(e) + sep
			case glua.LNumber:
				size += 24 + sep
			}
			if size > v.r.maxBuild {
				v.tooLarge(L, "table.concat")
			}
		}
		return concat(L)
	}
}
