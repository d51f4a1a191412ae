// Package edge is what every Palisade HTTP server does at its edge, so that
// the console, the agent and the operations ports treat a slow or hostile
// client alike: bounded read, write and idle times (NewServer), a cap on the
// connections one client address holds (Limit), refusals that never wait for
// a request body (RefuseUnread), and which peers are proxies trusted to say
// how a client reached them (Proxies).
package edge
