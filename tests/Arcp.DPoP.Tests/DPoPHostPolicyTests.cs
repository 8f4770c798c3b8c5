using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting.Internal;

namespace Arcp.DPoP.Tests;

/// <summary>Issue 11 item 2: which request hosts the expected htu may be built from.</summary>
public sealed class DPoPHostPolicyTests
{
    private static readonly HostingEnvironment Production = new() { EnvironmentName = "Production" };

    private static DPoPHostPolicy? Resolve(string[] allowedHosts, Action<DPoPOptions>? configure = null, string environment = "Production")
    {
        var options = new DPoPOptions();
        configure?.Invoke(options);
        return DPoPHostPolicy.Resolve(options, new HostingEnvironment { EnvironmentName = environment }, new HostFilteringOptions { AllowedHosts = allowedHosts });
    }

    [Theory]
    [InlineData("api.example.com", true)]
    [InlineData("API.Example.com:8443", true)]
    [InlineData("a.tenants.example.com", true)]
    [InlineData("tenants.example.com", false)]
    [InlineData("evil-tenants.example.com", false)]
    [InlineData("api.example.com.evil", false)]
    [InlineData("[::1]:5000", true)]
    [InlineData("", false)]
    public void AllowedHosts_are_matched_like_host_filtering(string host, bool allowed)
    {
        var policy = Resolve(["api.example.com", "*.tenants.example.com", "[::1]"]);
        Assert.NotNull(policy);
        Assert.Equal(allowed, policy.Allows(new HostString(host)));
    }

    [Fact]
    public void A_wildcard_or_empty_AllowedHosts_names_no_host()
    {
        Assert.Null(Resolve(["*"]));
        Assert.Null(Resolve(["api.example.com", "*"]));
        Assert.Null(Resolve([]));
        Assert.Null(DPoPHostPolicy.Resolve(new DPoPOptions(), Production, hostFiltering: null));
        Assert.Null(DPoPHostPolicy.Resolve(new DPoPOptions(), environment: null, hostFiltering: null));
    }

    [Fact]
    public void PublicOrigin_TrustHostHeader_or_Development_leave_the_host_alone()
    {
        Assert.True(Resolve(["*"], o => o.PublicOrigin = "https://api.example.com")!.Allows(new HostString("anything")));
        Assert.True(Resolve(["*"], o => o.TrustHostHeader = true)!.Allows(new HostString("anything")));
        Assert.True(Resolve(["*"], environment: "Development")!.Allows(new HostString("anything")));
    }
}
