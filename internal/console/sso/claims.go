package sso

import (
	"fmt"
	"slices"
)

// Role names, as sessions store them.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// nameClaims name the user, best first.
var nameClaims = []string{"email", "preferred_username", "name"}

// incomplete reports whether the ID token's claims lack the groups or a
// name: some providers send them only at the userinfo endpoint (groups
// too many for a token; profile and email claims when an access token was
// issued, as OpenID Connect Core 5.4 has it).
func (c *Client) incomplete(claims map[string]any) bool {
	if _, ok := claims[c.cfg.GroupsClaim]; !ok {
		return true
	}
	return !slices.ContainsFunc(nameClaims, func(k string) bool { s, _ := claims[k].(string); return s != "" })
}

// user reads the user from the ID token's claims.
func (c *Client) user(subject string, claims map[string]any) (User, error) {
	if subject == "" {
		return User{}, fmt.Errorf("%w: no subject", ErrIDToken)
	}
	u := User{Subject: subject, Name: subject}
	for _, k := range nameClaims {
		if s, ok := claims[k].(string); ok && s != "" {
			u.Name = s
			break
		}
	}
	groups, err := stringList(claims[c.cfg.GroupsClaim])
	if err != nil {
		return User{}, fmt.Errorf("%w: claim %q: %w", ErrIDToken, c.cfg.GroupsClaim, err)
	}
	u.Groups = groups
	return u, nil
}

// stringList reads a groups claim: a list of strings, or one string.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("holds %T, not a string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("is a %T, not a list of strings", v)
}

// Role maps the user's groups to a role: RoleAdmin for a member of an
// admin group (whatever else the user is in), else RoleViewer for a member
// of a viewer group, else "" (no access). Group names match exactly.
func (c *Client) Role(u User) string {
	in := func(groups []string) bool {
		return slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(groups, g) })
	}
	switch {
	case in(c.cfg.AdminGroups):
		return RoleAdmin
	case in(c.cfg.ViewerGroups):
		return RoleViewer
	}
	return ""
}
