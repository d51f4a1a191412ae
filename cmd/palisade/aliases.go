package main

import (
	"github.com/spf13/pflag"
)

// Deprecated spellings of renamed flags: each is a second flag bound to the
// new one's variable, hidden from help, and cobra prints "Flag --OLD has
// been deprecated, use --NEW instead" on stderr when it is used. They are
// kept for one release.

// deprecatedAlias registers old as a deprecated boolean alias of flag name.
func deprecatedAlias(f *pflag.FlagSet, old, name string, v *bool) {
	f.BoolVar(v, old, false, f.Lookup(name).Usage)
	must(f.MarkDeprecated(old, "use --"+name+" instead"))
}

// deprecatedStringAlias registers old as a deprecated string alias of flag
// name.
func deprecatedStringAlias(f *pflag.FlagSet, old, name string, v *string) {
	f.StringVar(v, old, f.Lookup(name).DefValue, f.Lookup(name).Usage)
	must(f.MarkDeprecated(old, "use --"+name+" instead"))
}
