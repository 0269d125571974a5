// Package demo generates deterministic, realistic demo data for flowlens:
// accounts, users, troubleshooting trees, and sessions that walk real paths
// through their trees, with ratings. The same Spec always gives the same
// data, ids included; nothing depends on the wall clock. Sessions are
// produced in batches, so data sets of millions of sessions stream through
// a bulk loader without being held in memory.
package demo

import (
	"fmt"
	"strings"
	"time"
)

// Spec describes a data set.
type Spec struct {
	// Seed selects the data set: the same Seed (and the rest of the Spec)
	// gives identical data.
	Seed int64
	// Anchor is the end of the time span: sessions start in
	// [Anchor - Days×24h, Anchor) and nothing happens after Anchor.
	Anchor time.Time
	// Days is the length of the time span.
	Days int
	// Skew is the Zipf exponent of tree popularity (engineer activity uses
	// 0.7×Skew): the larger, the more a few trees take most sessions.
	// Zero means DefaultSkew.
	Skew float64
	// Accounts are the tenants, in order; the first is the demo account.
	Accounts []AccountSpec
}

// AccountSpec describes one tenant.
type AccountSpec struct {
	Name string
	// Domain is the users' e-mail domain; empty derives it from Name
	// ("Acme Support" gives acme.example; seeds other than 1 add an
	// "s<seed>." prefix so data sets of different seeds never share e-mails).
	Domain string
	// Trees is the number of troubleshooting trees.
	Trees int
	// Engineers is the number of engineers; team admins (one per ten
	// engineers, at least one) come on top, and the first account also has
	// a super admin.
	Engineers int
	// Sessions is the number of sessions run in the account.
	Sessions int
}

// Defaults of the command-line flags.
const (
	DefaultSeed      = 1
	DefaultAccounts  = 3
	DefaultTrees     = 10
	DefaultEngineers = 12
	DefaultSessions  = 30000
	DefaultDays      = 95
	DefaultSkew      = 1.1
)

var accountNames = []string{
	"Acme Support", "Globex IT", "Initech Helpdesk", "Umbrella Service Desk",
	"Hooli Workplace IT", "Vandelay Field Services", "Stark Facilities",
	"Wayne Enterprise Support", "Soylent Helpdesk", "Cyberdyne Ops",
}

// AccountName returns the name of the i-th demo account (from 0).
func AccountName(i int) string {
	if i < len(accountNames) {
		return accountNames[i]
	}
	return fmt.Sprintf("Tenant %d", i+1)
}

// Accounts returns n account specs with the demo names, trees trees and
// engineers engineers each, sharing sessions sessions in total: the first
// (demo) account gets a double share, the others one share each.
func Accounts(n, trees, engineers, sessions int) []AccountSpec {
	out := make([]AccountSpec, n)
	shares := n + 1
	left := sessions
	for i := range out {
		share := 1
		if i == 0 {
			share = 2
		}
		s := sessions * share / shares
		if i == n-1 {
			s = left
		}
		left -= s
		out[i] = AccountSpec{Name: AccountName(i), Trees: trees, Engineers: engineers, Sessions: s}
	}
	return out
}

// Validate reports the first thing wrong with s.
func (s Spec) Validate() error {
	if len(s.Accounts) == 0 {
		return fmt.Errorf("at least one account is needed")
	}
	if s.Days < 1 {
		return fmt.Errorf("days must be at least 1, got %d", s.Days)
	}
	if s.Anchor.IsZero() {
		return fmt.Errorf("an anchor time is needed")
	}
	if s.Skew < 0 {
		return fmt.Errorf("skew must not be negative, got %g", s.Skew)
	}
	for i, a := range s.Accounts {
		if strings.TrimSpace(a.Name) == "" {
			return fmt.Errorf("account %d has no name", i+1)
		}
		if a.Trees < 1 || a.Engineers < 1 || a.Sessions < 0 {
			return fmt.Errorf("account %q needs at least one tree and one engineer, and no negative session count", a.Name)
		}
	}
	return nil
}

// TotalSessions returns the number of sessions of all accounts.
func (s Spec) TotalSessions() int {
	n := 0
	for _, a := range s.Accounts {
		n += a.Sessions
	}
	return n
}

func (s Spec) skew() float64 {
	if s.Skew == 0 {
		return DefaultSkew
	}
	return s.Skew
}

// domain returns the e-mail domain of account i.
func (s Spec) domain(i int) string {
	a := s.Accounts[i]
	if a.Domain != "" {
		return a.Domain
	}
	word := strings.ToLower(strings.Fields(a.Name)[0])
	var b strings.Builder
	for _, c := range word {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	base := b.String()
	if base == "" || base == "tenant" {
		base = fmt.Sprintf("tenant%d", i+1)
	} else {
		for j := range i { // a later account of the same first word gets a number
			if sameWord(s.Accounts[j].Name, a.Name) && s.Accounts[j].Domain == "" {
				base = fmt.Sprintf("%s%d", base, i+1)
				break
			}
		}
	}
	d := base + ".example"
	if s.Seed != DefaultSeed {
		d = fmt.Sprintf("s%d.%s", s.Seed, d)
	}
	return d
}

func sameWord(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) > 0 && len(fb) > 0 && strings.EqualFold(fa[0], fb[0])
}
