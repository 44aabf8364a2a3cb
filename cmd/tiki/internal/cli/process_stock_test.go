package cli

import "testing"

// freshMachineStock runs the stock audit of a fresh machine.
func freshMachineStock(t *testing.T) {}
