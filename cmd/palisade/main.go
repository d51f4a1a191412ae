package main
import (
 _ "k8s.io/api/core/v1"
 _ "k8s.io/apimachinery/pkg/util/validation/field"
 _ "k8s.io/pod-security-admission/policy"
 _ "github.com/google/cel-go/cel"
 _ "github.com/spf13/cobra"
 _ "sigs.k8s.io/yaml"
 _ "github.com/distribution/reference"
 _ "github.com/google/go-cmp/cmp"
)
func main(){}
