package rules

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CELParams is a custom validation, written as in a Kubernetes
// ValidatingAdmissionPolicy.
type CELParams struct {
	Expression string `json:"expression" required:"true" doc:"CEL expression over object (the object as JSON), oldObject (the object an admission UPDATE replaces; null otherwise), request (namespace, name, kind) and namespaceObject (metadata.name), as in a ValidatingAdmissionPolicy; it must return bool, true when the object is allowed"`
	Message    string `json:"message" required:"true" doc:"what a violation says when the expression returns false or fails"`
}

// Validate implements the properties check.
func (p *CELParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Expression == "" {
		errs = append(errs, field.Required(path.Child("expression"), "a CEL expression returning bool"))
	}
	if p.Message == "" {
		errs = append(errs, field.Required(path.Child("message"), ""))
	}
	return errs
}

// celCostLimit bounds one evaluation, as the kube-apiserver bounds one
// ValidatingAdmissionPolicy expression (its PerCallLimit).
const celCostLimit = 1_000_000

func init() {
	register(&Rule{
		ID:    "cel",
		Title: "Custom CEL validation fails",
		Description: "Evaluates a CEL expression over the object, as a Kubernetes ValidatingAdmissionPolicy validation does: " +
			"object is the object, oldObject the object an admission UPDATE replaces (null on a CREATE, in scan and in continuous checks), request.namespace is its namespace and namespaceObject.metadata.name too (null when cluster-scoped); " +
			"false, or an evaluation error, is a violation reported with the message.",
		Sources: []Source{{productVAP, "validations (CEL expressions)"}}, Severity: Medium, Tabs: podTabs, Targets: TargetAny, OldObject: true, CoarseFindings: true,
		Params: func() any { return &CELParams{} },
		New:    newCEL,
	})
}

// celEnv is the environment every cel rule compiles in, built once: the
// variables and libraries of a ValidatingAdmissionPolicy that Palisade can
// provide. An Env is safe for concurrent use.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("object", cel.DynType),
		cel.Variable("oldObject", cel.DynType),
		cel.Variable("request", cel.DynType),
		cel.Variable("namespaceObject", cel.DynType),
		cel.HomogeneousAggregateLiterals(),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		ext.TwoVarComprehensions(),
	)
})

func newCEL(p any) (Check, error) {
	cp := p.(*CELParams)
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	ast, iss := env.Compile(cp.Expression)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compile expression: %w", iss.Err())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("expression must return bool, not %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("program expression: %w", err)
	}
	message := cp.Message
	return func(in *Input) []Finding {
		vars := map[string]any{
			// Decoded only when the expression reads it, once per object.
			"object": func() any {
				if in.Object == nil {
					return nil
				}
				return in.Object.Unstructured()
			},
			"oldObject": func() any {
				if in.OldObject == nil {
					return nil
				}
				return in.OldObject.Unstructured()
			},
			"request":         func() any { return celRequest(in) },
			"namespaceObject": func() any { return celNamespace(in.Namespace) },
		}
		out, _, err := prg.Eval(vars)
		if err != nil {
			return []Finding{{Where: "object", Value: message, Detail: "evaluation error: " + err.Error()}}
		}
		if ok, isBool := out.Value().(bool); !isBool || !ok {
			f := Finding{Where: "object", Value: message}
			if !isBool {
				f.Detail = fmt.Sprintf("evaluation error: expression returned %s, not bool", out.Type().TypeName())
			}
			return []Finding{f}
		}
		return nil
	}, nil
}

// celRequest is the part of a ValidatingAdmissionPolicy's request variable
// that is known whatever the enforcement point (admission, scan,
// continuous): namespace, name and kind. operation, userInfo and the rest
// are not set, so reading them is an evaluation error.
func celRequest(in *Input) map[string]any {
	req := map[string]any{"namespace": in.Namespace}
	if o := in.Object; o != nil {
		group, version, found := strings.Cut(o.APIVersion, "/")
		if !found {
			group, version = "", o.APIVersion
		}
		req["name"] = o.Meta.Name
		req["kind"] = map[string]any{"group": group, "version": version, "kind": o.Kind}
	}
	return req
}

// celNamespace is namespaceObject: the namespace's name only (Palisade's
// rules do not read Namespace objects), or null for a cluster-scoped object.
func celNamespace(ns string) any {
	if ns == "" {
		return nil
	}
	return map[string]any{"metadata": map[string]any{"name": ns}}
}
