using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Development;

/// <summary>
/// The development issuer's P-256 key (ES256), kept in a PKCS#8 PEM file so tokens stay valid across restarts and
/// other programs (a second app, a benchmark) can trust the same issuer. Its <c>kid</c> is its RFC 7638 thumbprint,
/// so every reader of the file agrees on it.
/// </summary>
internal sealed class DevelopmentSigningKey : IDisposable
{
    /// <summary>The folder made under the content root by default.</summary>
    public const string DefaultFolder = ".arcp-dpop-dev";

    /// <summary>The key file's name in that folder.</summary>
    public const string DefaultFileName = "signing-key.pem";

    private readonly ECDsa _key;

    private DevelopmentSigningKey(ECDsa key)
    {
        _key = key;
        var parameters = key.ExportParameters(includePrivateParameters: false);
        X = Base64Url.EncodeToString(parameters.Q.X);
        Y = Base64Url.EncodeToString(parameters.Q.Y);

        // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
        string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + X + "\",\"y\":\"" + Y + "\"}";
        KeyId = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        SecurityKey = new ECDsaSecurityKey(ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = parameters.Q })) { KeyId = KeyId };
    }

    /// <summary>The RFC 7638 thumbprint, used as <c>kid</c>.</summary>
    public string KeyId { get; }

    /// <summary>The public key, as the DPoP handler validates tokens with it.</summary>
    public SecurityKey SecurityKey { get; }

    private string X { get; }

    private string Y { get; }

    /// <summary>Reads the key file, or makes a new key and writes it when there is none.</summary>
    /// <param name="path">The PEM file.</param>
    /// <exception cref="InvalidOperationException">The file exists but is not a P-256 private key.</exception>
    public static DevelopmentSigningKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Create(path);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
            {
                throw new InvalidOperationException($"The development issuer's key file '{path}' is not a P-256 key. Delete it to have a new one made.");
            }

            // A public-only PEM cannot sign.
            key.ExportParameters(includePrivateParameters: true);
            return new DevelopmentSigningKey(key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException($"The development issuer's key file '{path}' is not a P-256 private key in PEM. Delete it to have a new one made.", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    // Written to a temporary file created 0600, then moved into place without overwriting: two processes starting at
    // once (tests, dotnet watch) end up with the same key, whichever wrote it first.
    private static void Create(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        bool newDirectory = !Directory.Exists(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (newDirectory && string.Equals(Path.GetFileName(directory), DefaultFolder, StringComparison.Ordinal))
        {
            // The folder ignores itself, so the private key never reaches a commit.
            File.WriteAllText(Path.Combine(directory, ".gitignore"), "# Arcp.DPoP development issuer: a private key. Never commit it.\n*\n");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string pem = key.ExportPkcs8PrivateKeyPem();
        string temporary = path + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, fileOptions))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                writer.Write(pem);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process wrote its key first: use that one.
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Signs a JWS signing input with ES256 (RFC 7518 §3.4: R || S, 64 bytes).</summary>
    public byte[] Sign(ReadOnlySpan<byte> signingInput) =>
        _key.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Writes the public JWK (RFC 7517), as published in the JWKS.</summary>
    public void WritePublicJwk(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kty", "EC");
        writer.WriteString("crv", "P-256");
        writer.WriteString("x", X);
        writer.WriteString("y", Y);
        writer.WriteString("kid", KeyId);
        writer.WriteString("use", "sig");
        writer.WriteString("alg", "ES256");
        writer.WriteEndObject();
    }

    // Only the private key: the public SecurityKey's ECDsa is left to the collector, because Microsoft.IdentityModel
    // caches signature providers process-wide by the key's thumbprint, so a later host with the same key file may still
    // verify through the provider this key's ECDsa backs.
    public void Dispose() => _key.Dispose();
}
