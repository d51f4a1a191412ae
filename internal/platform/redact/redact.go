package redact

import (
	"net/url"
	"strings"
)

// URL returns s with the password of its userinfo replaced by "xxxxx", as
// url.URL.Redacted does; the user name stays, to say which account. A URL
// without a password is returned as it is. A string that does not parse as
// a URL (a mistyped flag) is redacted all the same: what lies between the
// first ":" of the userinfo and its last "@" is hidden.
func URL(s string) string {
	if u, err := url.Parse(s); err == nil {
		if _, has := u.User.Password(); !has {
			return s
		}
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
