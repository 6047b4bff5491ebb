using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace TenantPortal.Features.ApiKeys;

/// <summary>A key as handed to its agent, with what is stored of it.</summary>
public sealed record GeneratedKey(string Key, byte[] Hash, string Prefix, string LastFour);

/// <summary>The parts of a well-formed key whose checksum matched.</summary>
public readonly record struct ParsedKey(string ProjectPart, string AgentPart, byte[] Hash);

/// <summary>
/// API keys: <c>sk_agent_v1_&lt;8 hex of project id&gt;_&lt;8 hex of agent id&gt;_&lt;secret&gt;&lt;checksum&gt;</c>, the secret 32
/// random bytes in base62 (43 characters), the checksum the CRC-32 of everything before it in base62 (6 characters).
/// A malformed key or a bad checksum is turned away here, before any database work.
/// </summary>
public static class ApiKeyFormat
{
    public const string Scheme = "sk_agent_v1_";
    public const int SecretLength = 43;
    public const int ChecksumLength = 6;

    /// <summary>Scheme, two 8-hex parts with their underscores, secret and checksum.</summary>
    public const int Length = 12 + 9 + 9 + SecretLength + ChecksumLength;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly System.Buffers.SearchValues<char> AlphabetValues = System.Buffers.SearchValues.Create(Alphabet);

    public static GeneratedKey Generate(Guid projectId, Guid agentId)
    {
        var body = $"{Scheme}{Part(projectId)}_{Part(agentId)}_{Base62(RandomNumberGenerator.GetBytes(32), SecretLength)}";
        var key = body + Base62(BitConverter.GetBytes(Crc32.Compute(Encoding.ASCII.GetBytes(body))), ChecksumLength);
        return new GeneratedKey(key, Hash(key), key[..(Scheme.Length + 17)], key[^4..]);
    }

    /// <summary>Checks the shape and checksum of <paramref name="key"/>; never throws, whatever the input.</summary>
    public static bool TryParse(string? key, out ParsedKey parsed)
    {
        parsed = default;
        if (key is null || key.Length != Length || !key.StartsWith(Scheme, StringComparison.Ordinal)
            || key[Scheme.Length + 8] != '_' || key[Scheme.Length + 17] != '_')
        {
            return false;
        }

        var projectPart = key.Substring(Scheme.Length, 8);
        var agentPart = key.Substring(Scheme.Length + 9, 8);
        var rest = key.AsSpan(Scheme.Length + 18);
        if (!IsHex(projectPart) || !IsHex(agentPart) || rest.ContainsAnyExcept(AlphabetValues))
        {
            return false;
        }

        var body = key[..^ChecksumLength];
        var checksum = Base62(BitConverter.GetBytes(Crc32.Compute(Encoding.ASCII.GetBytes(body))), ChecksumLength);
        if (!string.Equals(checksum, key[^ChecksumLength..], StringComparison.Ordinal))
        {
            return false;
        }

        parsed = new ParsedKey(projectPart, agentPart, Hash(key));
        return true;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.ASCII.GetBytes(key));

    /// <summary>The first 8 hex digits of an id, as keys and their prefixes carry them.</summary>
    public static string Part(Guid id) => id.ToString("N")[..8];

    private static bool IsHex(string text) => text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Unsigned little-endian bytes in base62, left-padded with '0' to <paramref name="length"/> characters.</summary>
    private static string Base62(byte[] bytes, int length)
    {
        var value = new BigInteger(bytes, isUnsigned: true);
        var builder = new StringBuilder(length);
        while (value > 0)
        {
            value = BigInteger.DivRem(value, 62, out var remainder);
            builder.Insert(0, Alphabet[(int)remainder]);
        }

        return builder.ToString().PadLeft(length, '0');
    }
}

/// <summary>CRC-32 (IEEE 802.3, the zip and PNG one): the checksum of API keys.</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFF_FFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
