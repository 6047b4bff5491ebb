#:property PublishAot=false
#:property TreatWarningsAsErrors=true
// Copies the Blazor Web script embedded in Microsoft.AspNetCore.Components.Endpoints.dll to a file.
// Usage: dotnet run --file build/extract-blazor-script.cs -- <assembly> <resource name> <output file>
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: extract-blazor-script <assembly> <resource name> <output file>");
    return 2;
}

var (assemblyPath, resourceName, outputPath) = (args[0], args[1], args[2]);
using var stream = File.OpenRead(assemblyPath);
using var pe = new PEReader(stream);
var metadata = pe.GetMetadataReader();
var resourcesRva = pe.PEHeaders.CorHeader?.ResourcesDirectory.RelativeVirtualAddress
    ?? throw new InvalidOperationException($"{assemblyPath} is not a .NET assembly.");

foreach (var handle in metadata.ManifestResources)
{
    var resource = metadata.GetManifestResource(handle);
    if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != resourceName)
    {
        continue;
    }

    // Embedded resources are stored as a 4-byte little-endian length followed by the bytes.
    var reader = pe.GetSectionData(resourcesRva).GetReader();
    reader.Offset = checked((int)resource.Offset);
    var length = reader.ReadInt32();
    var bytes = reader.ReadBytes(length);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
    File.WriteAllBytes(outputPath, bytes);
    Console.WriteLine($"Extracted {resourceName} ({length} bytes) to {outputPath}");
    return 0;
}

Console.Error.WriteLine($"Resource {resourceName} not found in {assemblyPath}.");
return 1;
