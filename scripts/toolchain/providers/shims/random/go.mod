// Local shim: its module path sits under the upstream provider's path so that it
// may import the upstream's internal/provider package (Go's internal rule).
module github.com/terraform-providers/terraform-provider-random/shim

go 1.25.8
