// Local shim: see ../random/go.mod.
module github.com/hashicorp/terraform-provider-tls/shim

go 1.24.8
