using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Arcp.DPoP;

/// <summary>
/// Retrieves issuer metadata (an OpenID Connect discovery document, or any document with <c>issuer</c> and
/// <c>jwks_uri</c>, such as ARCP's <c>/.well-known/arcp-configuration</c>) and its JWKS with Microsoft.IdentityModel's
/// retriever, then adds the Ed25519 keys that retriever drops. Every refresh (scheduled, or on an unknown <c>kid</c>)
/// goes through here, so key rotation works for Ed25519 keys as for RSA and EC keys.
/// </summary>
internal sealed class IssuerMetadataRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancel).ConfigureAwait(false);
        IssuerSigningKeys.AddOkpKeys(configuration);
        return configuration;
    }
}
