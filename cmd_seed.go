package main

import "errors"

func runSeed(args []string) error { return errors.New("not implemented yet") }
