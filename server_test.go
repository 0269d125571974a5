package main

import (
	"net"
	"strings"
	"testing"
)

// An unreachable database is one line that names host and port, and the
// command fails.
func TestUnreachableDatabaseIsOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more

	err = runMigrate([]string{"--database-url", "postgres://flowlens@" + addr + "/flowlens?sslmode=disable&connect_timeout=2"})
	if err == nil {
		t.Fatal("migrate against a closed port succeeded")
	}
	msg := err.Error()
	want := "cannot reach PostgreSQL at " + addr + ": "
	if !strings.HasPrefix(msg, want) {
		t.Errorf("got %q, want it to start with %q", msg, want)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("got %q, want one line", msg)
	}
	if !strings.Contains(msg, "refused") {
		t.Errorf("got %q, want the network error (connection refused)", msg)
	}
}
