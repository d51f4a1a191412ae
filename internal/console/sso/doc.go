// Package sso is the console UI's single sign-on: OpenID Connect's
// authorization code flow with PKCE against an identity provider, and the
// mapping of the groups the provider says a user is in to a console role.
// Discovery and ID token verification are go-oidc's, the code exchange
// x/oauth2's; this package holds no state of its own beyond the
// provider's discovered configuration. The browser's side (the state
// cookie, the login kept in the store, sessions) is the ui package's.
package sso
