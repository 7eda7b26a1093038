// Command pulumi-tfgen-random writes the Pulumi package schema of the bridged random provider
// (run as: pulumi-tfgen-random schema --out DIR).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"aiida-emqx.local/toolchain/providers/bridged"
)

func main() { tfgen.Main("random", bridged.Random(nil)) }
