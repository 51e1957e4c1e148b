package credentials

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// A bcrypt hash of a password (Argo CD's chart takes one) is salted, so
// `up` reuses the hash the component's release holds while it still
// matches the password. Checking that with bcrypt costs ~60 ms of CPU at
// cost 10, on the critical path of every no-op `up` (issue 18). So when
// slipway writes a password and knows the hash its release will hold, the
// credentials Secret also keeps, under KeyHashMAC, HMAC-SHA256 of the hash
// keyed with the password: a MAC that matches the password now in the
// Secret and the hash now in the release vouches for the hash without
// bcrypt. A missing, malformed or stale MAC (an old Secret, a password
// edited by hand) only costs the bcrypt check, never a wrong reuse.
//
// The MAC is kept in the Secret's data, next to the password itself, and
// nowhere else: it is a fast hash of the password, so anywhere the
// password cannot be read (a label, an annotation, a log line) it would
// make guessing the password far cheaper than the bcrypt hash does.

// KeyHashMAC is the credentials Secret's data key holding the MAC.
const KeyHashMAC = "password-bcrypt-mac"

// Hash is a bcrypt hash and the password it was made from or checked
// against.
type Hash struct {
	Password, Bcrypt string
}

// hashMAC returns the hex MAC that ties bcrypt to password.
func hashMAC(password, bcrypt string) string {
	m := hmac.New(sha256.New, []byte(password))
	m.Write([]byte(bcrypt))
	return hex.EncodeToString(m.Sum(nil))
}

// macFor returns what to store under KeyHashMAC for a Secret holding
// password: the MAC of h when h was made for that password, else "".
func macFor(h *Hash, password string) string {
	if h == nil || h.Bcrypt == "" || password == "" || h.Password != password {
		return ""
	}
	return hashMAC(password, h.Bcrypt)
}

// validMAC returns v if it has the exact form hashMAC writes (64
// lower-case hex digits), else "".
func validMAC(v []byte) string {
	if len(v) != 2*sha256.Size {
		return ""
	}
	for _, c := range v {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return string(v)
}

// Vouches reports whether the credential's Secret holds a MAC saying
// that bcrypt is a hash of its password, so no bcrypt check is needed.
func (c Credential) Vouches(bcrypt string) bool {
	if c.hashMAC == "" || c.Password == "" || bcrypt == "" {
		return false
	}
	return hmac.Equal([]byte(c.hashMAC), []byte(hashMAC(c.Password, bcrypt)))
}
