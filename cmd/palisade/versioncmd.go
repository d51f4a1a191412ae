package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/platform/version"
)

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit, build date and Go version",
		Long: `Print the build: the version and git commit stamped at build time
(go build -ldflags "-X ..."; docs/operations.md), else those the Go
toolchain recorded (the module version, vcs.revision and vcs.time), the
build date when known, the Go version and the platform.`,
		Example: `  palisade version
  palisade version -o json
  palisade --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := version.Get()
			w := cmd.OutOrStdout()
			switch output {
			case "text":
				fmt.Fprintf(w, "version:    %s\n", in.Version)
				if in.GitCommit != "" {
					modified := ""
					if in.Modified {
						modified = " (modified)"
					}
					fmt.Fprintf(w, "git commit: %s%s\n", in.GitCommit, modified)
				}
				if in.BuildDate != "" {
					fmt.Fprintf(w, "build date: %s\n", in.BuildDate)
				}
				fmt.Fprintf(w, "go version: %s\n", in.GoVersion)
				fmt.Fprintf(w, "platform:   %s\n", in.Platform)
				return nil
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			return badInput(fmt.Errorf("unknown output format %q (formats: %s)", output, "text, json"))
		},
	}
	addOutputFlag(cmd, &output, "text", "text", "json")
	return cmd
}
