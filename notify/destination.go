package notify

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/kassa-pay/kassa"
)

// nonPublic are ranges outside the private, loopback and link-local ones
// netip knows that still do not belong to the public internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64, which can reach IPv4 private space
}

// PublicIP says whether ip is a public unicast address that notifications
// may be sent to. Loopback, private, link-local (cloud metadata services
// live there), multicast and unspecified addresses are not.
func PublicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckURL validates a notification endpoint URL: absolute http or https,
// with a host, without credentials. Unless allowPrivate, a literal IP or
// a localhost name must be public; names are checked again, resolved, when
// each notification is sent.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return kassa.Invalid("url", "url must be an absolute http or https URL")
	}
	if len(raw) > 2048 {
		return kassa.Invalid("url", "url is longer than 2048 characters")
	}
	if u.User != nil {
		return kassa.Invalid("url", "url must not contain credentials")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil && !PublicIP(ip) {
		return kassa.Invalid("url", "url points at a non-public address")
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return kassa.Invalid("url", "url points at a non-public address")
	}
	return nil
}

// CheckHTTPS is live mode's rule for a notification URL, an endpoint's or
// a session's: absolute https, so that notifications, which carry order
// details and their signatures, travel over TLS only. field names the URL
// in the error.
func CheckHTTPS(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return kassa.Invalid(field, "%s must be an absolute https URL in live mode", field)
	}
	return nil
}

// Destination names the receiver a delivery goes to, for sharing the
// dispatcher fairly: the merchant and the URL's origin (scheme, host and
// port). Deliveries to one origin share a cap on attempts in flight,
// whichever endpoint or session URL they come from, because a shop that
// hangs hangs for all its paths; the merchant is part of the name so that
// one merchant's receiver never uses up another's share of a host they
// both use. A URL that does not parse is its own destination.
func Destination(merchantID, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return merchantID + " " + rawURL
	}
	return merchantID + " " + strings.ToLower(u.Scheme+"://"+u.Host)
}
