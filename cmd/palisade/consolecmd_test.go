package main

import (
	"testing"

	"github.com/spf13/cobra"
)

func TestDatabaseURLFromEnvironment(t *testing.T) {
	t.Setenv(databaseEnv, "postgres://u:secret@db/palisade")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"flag unset: the environment", nil, "postgres://u:secret@db/palisade"},
		{"flag set: the flag", []string{"--database", "sqlite:///x.db"}, "sqlite:///x.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			cmd := &cobra.Command{RunE: func(cmd *cobra.Command, _ []string) error {
				got = databaseURL(cmd, cmd.Flag("database").Value.String())
				return nil
			}}
			cmd.Flags().String("database", "sqlite://palisade.db", "")
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("database = %q, want %q", got, tc.want)
			}
		})
	}
}
