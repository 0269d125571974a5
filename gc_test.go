package main

import (
	"runtime/debug"
	"testing"
)

// Without GOGC and GOMEMLIMIT the collector's target becomes 400; either
// one set leaves the runtime's own (the value GOGC gave it) alone.
func TestApplyGCDefault(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cases := []struct {
		name string
		env  map[string]string
		set  bool
		want int
	}{
		{"neither set", map[string]string{}, true, 400},
		{"blank", map[string]string{"GOGC": " ", "GOMEMLIMIT": ""}, true, 400},
		{"GOGC set", map[string]string{"GOGC": "150"}, false, 100},
		{"GOGC off", map[string]string{"GOGC": "off"}, false, 100},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "512MiB"}, false, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(100) // as the runtime left it
			if set := applyGCDefault(func(k string) string { return c.env[k] }); set != c.set {
				t.Errorf("set = %v, want %v", set, c.set)
			}
			if got := debug.SetGCPercent(100); got != c.want {
				t.Errorf("GC percent %d, want %d", got, c.want)
			}
		})
	}
}
