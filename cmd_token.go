package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/models"
	"flowlens/store"
)

func runToken(args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	cfg := bindConfig(fs)
	user := fs.String("user", "", "the user's id or email (required)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	header := fs.Bool("header", false, "print a ready-to-paste Authorization header instead of the bare token")
	if err := cfg.parse(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("--user is required: give a user's id or email")
	}
	secret, err := cfg.secret()
	if err != nil {
		return err
	}
	if err := cfg.checkTTL("ttl", *ttl); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := findUser(ctx, store.New(db), *user)
	if err != nil {
		return err
	}
	tok, err := auth.Mint(secret, u.ID, *ttl, cfg.JWTIssuer, cfg.JWTAudience)
	if err != nil {
		return err
	}
	if *header {
		fmt.Printf("{\"Authorization\": \"Bearer %s\"}\n", tok)
	} else {
		fmt.Println(tok)
	}
	return nil
}

// findUser looks a user up by id or email; it refuses unknown and inactive users.
func findUser(ctx context.Context, st *store.Store, idOrEmail string) (*models.User, error) {
	var u *models.User
	var err error
	if id, perr := uuid.Parse(idOrEmail); perr == nil {
		u, err = st.UserByID(ctx, id)
	} else {
		u, err = st.UserByEmail(ctx, idOrEmail)
	}
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, fmt.Errorf("no user with id or email %q", idOrEmail)
	}
	if !u.IsActive {
		return nil, fmt.Errorf("user %q is inactive; the API would refuse its token", idOrEmail)
	}
	return u, nil
}
