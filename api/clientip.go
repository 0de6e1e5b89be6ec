package api

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ParseTrustedProxies reads a list of proxy addresses and networks ("10.0.0.0/8",
// "192.0.2.7", "2001:db8::/32"); a bare address is a network of one.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR network", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR network", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address a request comes from. The peer's address, unless
// the peer is a trusted proxy: then X-Forwarded-For is read from the right
// (the hop nearest to us), skipping trusted proxies, and the first address
// not trusted is the client. An unreadable entry stops the walk at the last
// hop that was trusted, since what lies left of it was written by the client.
// With no trusted proxies (the default) X-Forwarded-For is never read.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if len(s.cfg.TrustedProxies) == 0 {
		return peer.String()
	}
	addr, ok := netip.AddrFromSlice(peer)
	if !ok || !s.trusted(addr) {
		return peer.String()
	}
	client := addr.Unmap()
	headers := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	for i := len(headers) - 1; i >= 0; i-- {
		h := headers[i]
		for len(h) > 0 {
			var hop []byte
			if j := bytes.LastIndexByte(h, ','); j >= 0 {
				hop, h = h[j+1:], h[:j]
			} else {
				hop, h = h, nil
			}
			a, err := netip.ParseAddr(string(bytes.TrimSpace(hop)))
			if err != nil {
				return client.String()
			}
			client = a.Unmap()
			if !s.trusted(client) {
				return client.String()
			}
		}
	}
	return client.String()
}
