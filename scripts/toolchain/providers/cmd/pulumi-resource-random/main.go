// Command pulumi-resource-random is the bridged random resource provider plugin.
// schema-embed.json and bridge-metadata.json are generated at build time by
// build-provider.sh (tfgen + version stamp).
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"aiida-emqx.local/toolchain/providers/bridged"
)

//go:embed schema-embed.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pf.Main(context.Background(), "random", bridged.Random(metadata), pf.ProviderMetadata{PackageSchema: schema})
}
