namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// <c>DPoPSession.Authorize</c> sends the token the proof was made for (issue 11, item 13): a token change while a
/// proof is being made must not pair the new token with a proof whose <c>ath</c> is the old one's.
/// </summary>
public sealed class AuthorizeSnapshotTests
{
    /// <summary>A clock that runs an action the first time the proof factory reads it, in the middle of making a proof.</summary>
    private sealed class InterruptingClock(Action interruption) : TimeProvider
    {
        private Action? _interruption = interruption;

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Exchange(ref _interruption, null)?.Invoke();
            return base.GetUtcNow();
        }
    }

    [Fact]
    public void The_Authorization_header_carries_the_token_whose_hash_is_the_proofs_ath()
    {
        DPoPSession? session = null;
        var clock = new InterruptingClock(() => session!.SetAccessToken("token-2")); // a refresh lands mid-proof
        session = new DPoPSession(proofFactory: new DPoPProofFactory(clock));
        using (session)
        {
            session.SetAccessToken("token-1");
            using var request = new HttpRequestMessage(HttpMethod.Get, "https://api.example.com/agents/me");

            session.Authorize(request);

            string token = request.Headers.Authorization!.Parameter!;
            string proof = request.Headers.GetValues("DPoP").Single();
            Assert.Equal(DPoPProofFactory.ComputeAth(token), ProofClaims.Read(proof, "ath"));
        }
    }
}
