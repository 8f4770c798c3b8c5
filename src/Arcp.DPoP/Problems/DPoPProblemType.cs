namespace Arcp.DPoP;

/// <summary>
/// One entry of the ARCP problem catalogue: the RFC 9457 <c>type</c> URI, its title and HTTP status.
/// </summary>
public sealed class DPoPProblemType
{
    internal DPoPProblemType(string slug, int status, string title)
    {
        Slug = slug;
        Status = status;
        Title = title;
        Type = DPoPDefaults.ProblemTypeBaseUri + slug;
    }

    /// <summary>The last segment of the type URI, e.g. <c>dpop-binding-mismatch</c>.</summary>
    public string Slug { get; }

    /// <summary>The RFC 9457 <c>type</c> member, an absolute URI under <see cref="DPoPDefaults.ProblemTypeBaseUri"/>.</summary>
    public string Type { get; }

    /// <summary>The RFC 9457 <c>title</c> member, exactly as ARCP publishes it.</summary>
    public string Title { get; }

    /// <summary>The HTTP status code of a response of this type.</summary>
    public int Status { get; }

    /// <inheritdoc />
    public override string ToString() => Type;
}
