package clusterscan

import (
	"context"
	"errors"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
)

// Options configure an audit.
type Options struct {
	// Policy is the compiled policy.
	Policy *engine.Compiled
	// Tab is the tab evaluated: continuous for what running workloads
	// would trip, deployment for what admission would say of them today.
	Tab policy.Tab
	// Context names the cluster in every object's source
	// ("cluster://CONTEXT/NAMESPACE/KIND/NAME").
	Context string
	// Report receives every object and error, as an offline scan's
	// writer does.
	Report *scan.Stream
	// Reports, when set, also collects PolicyReport results.
	Reports *policyreport.Builder
	// ScanResults is what the scan-result rules read (nil: no image has
	// been scanned).
	ScanResults rules.ScanResults
	// Signatures verifies image signatures for imagesNotSigned (nil: no
	// registry access).
	Signatures rules.Signatures
}

// Audit lists the cluster with l and evaluates every object. Objects and
// kinds that cannot be read, and an API server that cannot be reached
// (which ends the listing), are reported as input errors and counted in
// the summary; the error returned is the report writer's or ctx's.
func Audit(ctx context.Context, l *Lister, opts Options) error {
	if opts.Report == nil || opts.Policy == nil {
		return errors.New("clusterscan: Audit needs a policy and a report")
	}
	inputError := func(failed *ListError) error {
		return opts.Report.Error(&scan.InputError{
			Source:  scan.ClusterSource(opts.Context, failed.Namespace, failed.Kind, failed.Name),
			Message: failed.Error(),
		})
	}
	eopts := engine.Options{ScanResults: opts.ScanResults, Signatures: opts.Signatures, Context: ctx}
	if opts.Policy.ReadsRoles() {
		roles, failed := l.Roles(ctx)
		if failed != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := inputError(failed); err != nil {
				return err
			}
		}
		eopts.Roles = roles
	}
	if opts.Policy.ReadsNetworkPolicies() {
		nps, failed := l.NetworkPolicies(ctx)
		if failed != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := inputError(failed); err != nil {
				return err
			}
		} else {
			eopts.NetworkPolicies = nps
		}
	}
	if kinds := opts.Policy.ReadsInventory(); kinds != 0 {
		inv, failed := l.Inventory(ctx, kinds)
		if failed != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := inputError(failed); err != nil {
				return err
			}
		}
		eopts.Inventory = inv
	}
	err := l.List(ctx, func(obj *workload.Object, failed *ListError) error {
		if failed != nil {
			if opts.Reports != nil && failed.Name != "" {
				opts.Reports.AddError(policyreport.ObjectReference{Kind: failed.Kind, Namespace: failed.Namespace, Name: failed.Name}, failed.Err)
			}
			return inputError(failed)
		}
		res := opts.Policy.Evaluate(obj, opts.Tab, eopts)
		if opts.Reports != nil {
			opts.Reports.Add(policyreport.ResourceOf(obj), &res)
		}
		source := scan.ClusterSource(opts.Context, obj.Meta.Namespace, obj.Kind, obj.Meta.Name)
		return opts.Report.Result(scan.NewResult(source, obj, &res))
	})
	var unreachable *ListError
	if errors.As(err, &unreachable) && ctx.Err() == nil {
		return inputError(unreachable)
	}
	return err
}
