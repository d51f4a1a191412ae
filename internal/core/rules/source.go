package rules

// Source names where a rule comes from in words its users know: a product
// or standard and that product's own name for the control ("Azure Policy",
// "Kubernetes cluster should not allow privileged containers").
type Source struct {
	Product string `json:"product"`
	Control string `json:"control"`
}

// String is "Product: Control".
func (s Source) String() string { return s.Product + ": " + s.Control }

// The products and standards the catalog comes from.
const (
	productTrendMicro  = "Trend Micro Container Security"
	productAzurePolicy = "Azure Policy"
	productOWASP       = "OWASP Kubernetes Top 10"
	productPSS         = "Kubernetes Pod Security Standards"
	productRBAC        = "Kubernetes RBAC Good Practices"
	productCloudNative = "Kubernetes 4C's of Cloud Native Security"
	productVAP         = "Kubernetes ValidatingAdmissionPolicy"
	productGatekeeper  = "Gatekeeper policy library"
	productKyverno     = "Kyverno policies"
	productPolaris     = "Polaris"
)

// trendMicro is the Trend Micro Container Security rule a Palisade rule
// carries over: its ClusterPolicy rule type, which is the rule's ID.
func trendMicro(ruleType string) Source { return Source{productTrendMicro, ruleType} }

// azurePolicy is an Azure Policy for Kubernetes definition, by its display
// name (Microsoft Defender for Cloud recommends these for clusters).
func azurePolicy(definition string) Source { return Source{productAzurePolicy, definition} }

// owaspK04 is the OWASP Kubernetes Top 10 risk about policy enforcement.
var owaspK04 = Source{productOWASP, "K04: Lack of Centralized Policy Enforcement"}

// also appends sources to a rule built by a shared constructor.
func (r *Rule) also(s ...Source) *Rule {
	r.Sources = append(r.Sources, s...)
	return r
}
