using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// The RFC 9728 §2 document of a scheme, serialised with <see cref="Utf8JsonWriter"/> (no reflection: trimming- and
/// AOT-safe) and cached as bytes per options instance, resource identifier and authorization server list, so serving
/// it costs one write. Options reloaded from configuration are new instances: their documents are rebuilt.
/// </summary>
internal static class ProtectedResourceMetadataDocument
{
    // A resource identifier built from an accepted Host header can take a few values (AllowedHosts, Development);
    // beyond this many the document is still served, just not cached, so no client can grow the cache.
    private const int MaxCachedDocuments = 16;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly ConditionalWeakTable<DPoPOptions, ConcurrentDictionary<string, Document>> Cache = [];

    /// <summary>The document's bytes for this resource and these authorization servers.</summary>
    public static byte[] Get(DPoPOptions options, string resource, IReadOnlyList<string> authorizationServers)
    {
        // Keyed by the resource identifier alone, so a hit allocates nothing; the authorization servers (which may come
        // from the issuer's metadata and change with it) are compared, and a change rebuilds the entry.
        var documents = Cache.GetValue(options, static _ => new ConcurrentDictionary<string, Document>(StringComparer.Ordinal));
        if (documents.TryGetValue(resource, out var cached) && SameServers(cached.AuthorizationServers, authorizationServers))
        {
            return cached.Bytes;
        }

        byte[] bytes = Serialize(options, resource, authorizationServers);
        if (cached is not null || documents.Count < MaxCachedDocuments)
        {
            documents[resource] = new Document([.. authorizationServers], bytes);
        }

        return bytes;
    }

    private static bool SameServers(string[] cached, IReadOnlyList<string> current)
    {
        if (cached.Length != current.Count)
        {
            return false;
        }

        for (int i = 0; i < cached.Length; i++)
        {
            if (!string.Equals(cached[i], current[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Document(string[] AuthorizationServers, byte[] Bytes);

    // RFC 9728 §2, plus RFC 9449 §5.1's DPoP members.
    private static byte[] Serialize(DPoPOptions options, string resource, IReadOnlyList<string> authorizationServers)
    {
        var metadata = options.ResourceMetadata;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("resource", resource);
            WriteArray(writer, "authorization_servers", authorizationServers);
            WriteArray(writer, "scopes_supported", metadata.ScopesSupported);

            // RFC 6750 §2.1 only: the handler reads the access token from the Authorization header, never a form or query.
            writer.WriteStartArray("bearer_methods_supported");
            writer.WriteStringValue("header");
            writer.WriteEndArray();
            if (!string.IsNullOrEmpty(metadata.ResourceName))
            {
                writer.WriteString("resource_name", metadata.ResourceName);
            }

            if (!string.IsNullOrEmpty(metadata.ResourceDocumentation))
            {
                writer.WriteString("resource_documentation", metadata.ResourceDocumentation);
            }

            // The allowed algorithms, in the order of the challenge's algs (RFC 9449 §7.1).
            WriteArray(writer, "dpop_signing_alg_values_supported", options.AllowedAlgorithms);
            writer.WriteBoolean("dpop_bound_access_tokens_required", options.Mode == DPoPMode.Required);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        bool started = false;
        foreach (string value in values)
        {
            if (!started)
            {
                writer.WriteStartArray(name);
                started = true;
            }

            writer.WriteStringValue(value);
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }
}
