package httpapi

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"flowlens/auth"
)

// Hostile input at the door (SECURITY.md §7): huge bearer tokens and
// tokens whose header names a key (kid, jku, jwk, x5u). Every one is
// answered 401 (or 431 for headers over the server's limit), never 500,
// without a database statement or an outbound connection.

// heapGrowth runs fn and returns by how much the heap grew at most while
// it ran (sampled every 100 µs, GOGC=10 so garbage does not count much).
func heapGrowth(fn func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := heap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if h := heap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

func TestHugeBearerToken(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	for name, tok := range map[string]string{
		"500,000 characters":         strings.Repeat("a", 500000),
		"500,000 dots":               strings.Repeat(".", 500000),
		"a valid token padded":       token(t, small.AdminA) + strings.Repeat("A", 500000),
		"just over the length cap":   strings.Repeat(".", auth.MaxTokenLen+1),
		"dots within the length cap": strings.Repeat(".", auth.MaxTokenLen),
	} {
		t.Run(name, func(t *testing.T) {
			var r response
			e.counter.Reset()
			grew := heapGrowth(func() {
				r = e.do(t, e.request(t, "POST", "/query", "application/json", tok, strings.NewReader(`{"query":"{ viewer { accountId } }"}`)))
			})
			if r.Status != http.StatusUnauthorized || r.code(0) != "UNAUTHENTICATED" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("an invalid token ran %d statements", n)
			}
			t.Logf("%d-byte token: 401, heap grew by at most %.1f MiB (client and server)", len(tok), float64(grew)/(1<<20))
			if grew > 32<<20 {
				t.Errorf("the heap grew by %d MiB", grew>>20)
			}
		})
	}
}

// TestHeaderLimit: the server of `serve` refuses headers over 64 KiB with
// 431 before any handler runs.
func TestHeaderLimit(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	srv := NewServer("", e.app.Handler(), Defaults.RequestTimeout)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = conn.Write([]byte("POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
			strings.Repeat("a", 500000) + "\r\nContent-Length: 2\r\n\r\n{}"))
	}()
	e.counter.Reset()
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 431") {
		t.Fatalf("a 500,000-byte header: %q %v, want 431", status, err)
	}
	if n := e.counter.Count(); n != 0 {
		t.Errorf("%d statements", n)
	}
}

// hs256 signs header and claims as a JWS with HS256 under key.
func hs256(t *testing.T, header map[string]any, claims jwt.MapClaims, key []byte) string {
	t.Helper()
	return forge(t, header, claims, string(key))
}

func TestTokenHeaderKeys(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	// A listener standing for the attacker's key server: nothing may connect to it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var dialed atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			dialed.Add(1)
			c.Close()
		}
	}()
	keyURL := "http://" + l.Addr().String() + "/keys.json"

	now := time.Now()
	claims := jwt.MapClaims{"sub": small.AdminA.String(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	attacker := []byte("attacker-secret-attacker-secret-attacker!")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaJWK := map[string]any{"kty": "RSA", "e": "AQAB", "n": base64.RawURLEncoding.EncodeToString(rsaKey.N.Bytes())}
	rs := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	rs.Header["jwk"] = rsaJWK
	rsToken, err := rs.SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}

	bad := map[string]string{
		"kid /dev/null, empty key": hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "../../../../../../dev/null"}, claims, nil),
		"kid SQL injection":        hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "' OR 1=1 --"}, claims, []byte("x")),
		"kid unknown":              hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "key-2099"}, claims, attacker),
		"jku to the attacker":      hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "jku": keyURL, "kid": "k"}, claims, attacker),
		"x5u to the attacker":      hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "x5u": keyURL}, claims, attacker),
		"embedded oct jwk":         hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "jwk": map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(attacker)}}, claims, attacker),
		"embedded RSA jwk, RS256":  rsToken,
		"alg none with kid":        noneToken(t, claims),
		"header not JSON":          base64.RawURLEncoding.EncodeToString([]byte("{kid:")) + "." + strings.Split(token(t, small.AdminA), ".")[1] + ".sig",
	}
	for name, tok := range bad {
		t.Run(name, func(t *testing.T) {
			e.counter.Reset()
			r := e.do(t, e.request(t, "POST", "/query", "application/json", tok, strings.NewReader(`{"query":"{ viewer { accountId } }"}`)))
			if r.Status != http.StatusUnauthorized || r.code(0) != "UNAUTHENTICATED" || r.hasData() {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("an invalid token ran %d statements", n)
			}
			assertMasked(t, r)
		})
	}
	if n := dialed.Load(); n != 0 {
		t.Errorf("the service connected %d times to the key URL of a token", n)
	}
	// The header is ignored either way: the same headers on a token signed
	// with the service's secret are accepted, because the key never
	// depends on them.
	good := hs256(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "../../dev/null", "jku": keyURL}, claims, []byte(testSecret))
	if r := e.do(t, e.request(t, "POST", "/query", "application/json", good, strings.NewReader(`{"query":"{ viewer { accountId } }"}`))); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountA.String()) {
		t.Errorf("a genuine token with kid and jku: %d %s", r.Status, r.Body)
	}
}

// noneToken is an unsigned token (alg none) with a kid.
func noneToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "none", "kid": "x"})
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}
