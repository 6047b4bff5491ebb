using FsCheck;
using FsCheck.Fluent;
using TenantPortal.Features.ApiKeys;

namespace TenantPortal.Tests.Features.ApiKeys;

public sealed class ApiKeyFormatTests
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Generated_keys_always_parse_and_name_their_project_and_agent()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<Guid>(), ArbMap.Default.ArbFor<Guid>(), (project, agent) =>
        {
            var key = ApiKeyFormat.Generate(project, agent);
            return ApiKeyFormat.TryParse(key.Key, out var parsed)
                && parsed.ProjectPart == ApiKeyFormat.Part(project) && parsed.AgentPart == ApiKeyFormat.Part(agent)
                && parsed.Hash.SequenceEqual(key.Hash)
                && key.Key.Length == ApiKeyFormat.Length
                && key.Key.StartsWith(key.Prefix + "_", StringComparison.Ordinal) && key.Key.EndsWith(key.LastFour, StringComparison.Ordinal);
        }).Check(Runs);
    }

    [Fact]
    public void Any_single_character_change_fails_the_check()
    {
        var keys = Gen.Fresh(() => ApiKeyFormat.Generate(Guid.NewGuid(), Guid.NewGuid()).Key);
        var changes = from key in keys
                      from position in Gen.Choose(0, ApiKeyFormat.Length - 1)
                      from replacement in Gen.Elements(Alphabet.ToCharArray())
                      where key[position] != replacement
                      select (key, position, replacement);
        Prop.ForAll(changes.ToArbitrary(), change =>
        {
            var (key, position, replacement) = change;
            var altered = string.Concat(key.AsSpan(0, position), replacement.ToString(), key.AsSpan(position + 1));
            return !ApiKeyFormat.TryParse(altered, out _);
        }).Check(Runs);
    }

    [Fact]
    public void Parsing_never_throws_on_arbitrary_text()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text => !ApiKeyFormat.TryParse(text, out _) || text.StartsWith(ApiKeyFormat.Scheme, StringComparison.Ordinal))
            .Check(Runs);
        // Near misses: right length and scheme, random tail.
        var tails = Gen.ArrayOf(Gen.Elements(Alphabet.ToCharArray()), ApiKeyFormat.Length - ApiKeyFormat.Scheme.Length).Select(c => ApiKeyFormat.Scheme + new string(c));
        Prop.ForAll(tails.ToArbitrary(), text => ApiKeyFormat.TryParse(text, out var parsed) ? parsed.Hash.Length == 32 : parsed.Hash is null).Check(Runs);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sk_agent_v1_")]
    [InlineData("Bearer sk_agent_v1_0000")]
    public void Malformed_keys_are_refused(string? key) => Assert.False(ApiKeyFormat.TryParse(key, out _));

    [Fact]
    public void The_checksum_is_the_standard_crc32() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));  // The published check value of CRC-32/ISO-HDLC.
}
