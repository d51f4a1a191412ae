package rules

// stdinTty reads stdin and tty of each container, init container and
// ephemeral container. Allowed: false or unset.

func init() {
	register(&Rule{
		ID:    "stdinTty",
		Title: "Container keeps an interactive stdin or TTY",
		Description: "Flags a container that sets stdin or tty to true. " +
			"An open stdin and a terminal let anyone allowed to attach drive the container's process interactively; workloads need neither.",
		Sources: []Source{
			{productGatekeeper, "disallowinteractive (K8sDisallowInteractiveTTY)"},
		},
		Severity: Low, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if c.C.Stdin {
						out = append(out, ContainerFinding("container", c, "stdin", "true"))
					}
					if c.C.TTY {
						out = append(out, ContainerFinding("container", c, "tty", "true"))
					}
				}
				return out
			}, nil
		},
	})
}
