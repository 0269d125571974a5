package store_test

import (
	"strings"
	"testing"

	"flowlens/store"
)

// TestHostPort: the host and port of a DSN in either form, never its
// password.
func TestHostPort(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://u:s3cret@db.example:6543/app?sslmode=disable", "db.example:6543"},
		{"postgres://u:s3cret@db.example/app", "db.example:5432"},
		{"postgres://u:s3cret@[::1]:5433/app", "[::1]:5433"},
		{"host=10.0.0.7 port=5440 user=u password=s3cret dbname=app", "10.0.0.7:5440"},
		{"postgres://u:s3cret@db.example:notaport/app", "an unparsable DATABASE_URL"},
	} {
		if got := store.HostPort(c.dsn); got != c.want {
			t.Errorf("HostPort(%q) = %q, want %q", c.dsn, got, c.want)
		}
	}
}

// TestOpenMalformedDSN: the error says what form is expected and does not
// repeat the address, whose password it may hold.
func TestOpenMalformedDSN(t *testing.T) {
	_, err := store.Open("postgres://u:s3cret@db.example:notaport/app", store.DefaultPool)
	want := "DATABASE_URL is not a valid PostgreSQL address: check its form: postgres://user:password@host:port/dbname"
	if err == nil || err.Error() != want || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of a malformed DSN: %v; want %q", err, want)
	}
}
