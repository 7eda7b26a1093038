// Command pulumi-tfgen-tls writes the Pulumi package schema of the bridged tls provider
// (run as: pulumi-tfgen-tls schema --out DIR).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"aiida-emqx.local/toolchain/providers/bridged"
)

func main() { tfgen.Main("tls", bridged.TLS(nil)) }
