using System.Reflection;

namespace Arcp.DPoP.Tests;

/// <summary>Every failure is built in Problems/DPoPFailures; one whose detail never changes is one cached instance.</summary>
public sealed class DPoPFailuresTests
{
    private const string Uri = "https://api.example.com/agents/register";

    [Theory]
    [InlineData("")]
    [InlineData("only.two")]
    [InlineData("a.b.c!")]
    public void A_constant_refusal_is_the_same_instance_every_time(string proof)
    {
        var validator = new DPoPProofValidator(new DPoPOptions());

        var first = validator.Validate(proof, "POST", Uri).Failure;
        var second = validator.Validate(proof, "POST", Uri).Failure;

        Assert.NotNull(first);
        Assert.Same(first, second);
    }

    [Fact]
    public void Every_cached_failure_has_a_detail_a_client_developer_can_read()
    {
        var fields = typeof(DPoPFailures).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DPoPFailure)).ToList();

        Assert.True(fields.Count >= 60, $"only {fields.Count} cached failures");
        foreach (var field in fields)
        {
            var failure = (DPoPFailure)field.GetValue(null)!;
            Assert.True(failure.Detail.Length > 20 && failure.Detail.EndsWith('.'), $"{field.Name}: '{failure.Detail}'");
            Assert.DoesNotContain("Exception", failure.Detail, StringComparison.Ordinal);
            Assert.Null(failure.Cause);
        }
    }

    [Fact]
    public void A_cause_is_attached_to_a_copy_and_never_to_the_cached_failure()
    {
        var cause = new TimeoutException("the store did not answer");

        var withCause = DPoPFailures.Replayed.WithCause(cause);

        Assert.NotSame(DPoPFailures.Replayed, withCause);
        Assert.Same(cause, withCause.Cause);
        Assert.Equal(DPoPFailures.Replayed.Detail, withCause.Detail);
        Assert.Null(DPoPFailures.Replayed.Cause);
        Assert.Same(DPoPFailures.Replayed, DPoPFailures.Replayed.WithCause(null));
    }

    [Fact]
    public void The_default_algorithms_keep_Ed25519_first_in_the_challenge_order()
    {
        Assert.Equal("EdDSA Ed25519 ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512", string.Join(' ', DPoPOptions.DefaultAllowedAlgorithms));
        Assert.Equal(string.Join(' ', DPoPOptions.DefaultAllowedAlgorithms), new DPoPProofValidator(new DPoPOptions()).AllowedAlgorithms);
    }
}
