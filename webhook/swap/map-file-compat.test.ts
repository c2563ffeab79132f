import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { compile, policyFromMapFile } from "./index.js";

/**
 * The predecessor's documented results (its docs/configuration.md and the expectations of its
 * app/imageswap/test suite), replayed through a map file. Rows marked DIFF are the deliberate
 * differences listed in docs/swap-engine.md; every other row is the predecessor's own answer.
 */

const SHA = "sha256:15d3b5c4f521a84896ed1ead1b14e4774d02202d5c65ab68f30eeaf310a3b1a7";

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/mapfiles/${name}`, import.meta.url), "utf8");
}

function swapAll(mapFile: string, images: string[]): string[] {
  const { table } = compile([{ name: "maps", spec: { mapFile } }], 1);
  return images.map(image => table.swap(image).output);
}

function expectSwaps(mapFile: string, rows: Array<[string, string]>): void {
  const outputs = swapAll(
    mapFile,
    rows.map(([image]) => image),
  );
  expect(rows.map(([image], i) => [image, outputs[i]])).toEqual(rows);
}

describe("map files: the predecessor's test expectations", () => {
  it("should reproduce the main map (registry maps, prefix mode, ports, noswap wildcards)", () => {
    expectSwaps(fixture("predecessor-main.conf"), [
      [
        "default.io/paulbower/hello-kubernetes:1.5",
        "default.example.com/paulbower/hello-kubernetes:1.5",
      ],
      [
        "docker.io/tmobile/magtape:latest",
        "my.example.com/mirror-docker.io/tmobile/magtape:latest",
      ],
      [
        "gitlab.com/tmobile/pie/proxyman:latest",
        "registry.example.com/gitlab/tmobile/pie/proxyman:latest",
      ],
      ["cool.io:443/istio/istiod:latest", "cool.io:443/istio/istiod:latest"],
      [
        "registry.external.twr.io:443/istio/istiod:latest",
        "registry.external.twr.io:443/istio/istiod:latest",
      ],
      [
        "registry.internal.twr.io:443/istio/istiod:latest",
        "registry.example.com:443/istio/istiod:latest",
      ],
      ["walrus.io/test/test:latest", "walrus.io/test/test:latest"],
      ["alpine", "my.example.com/mirror-docker.io/alpine"],
      ["nginx:latest", "my.example.com/mirror-docker.io/nginx:latest"],
      ["ubuntu/ubuntu", "my.example.com/mirror-docker.io/ubuntu/ubuntu"],
      ["ubuntu/ubuntu:latest", "my.example.com/mirror-docker.io/ubuntu/ubuntu:latest"],
      ["quay.io/solo/gloo", "quay.example3.com/solo/gloo"],
      ["quay.io/solo/gloo:v1.0", "quay.example3.com/solo/gloo:v1.0"],
      ["gcr.io:443/istio/istiod:latest", "default.example.com/istio/istiod:latest"],
      [
        "some/random/test/without/registry-or-tag",
        "my.example.com/mirror-docker.io/some/random/test/without/registry-or-tag",
      ],
      [
        "some/random/test/without/registry-or-tag:latest",
        "my.example.com/mirror-docker.io/some/random/test/without/registry-or-tag:latest",
      ],
      [
        "myregistry.com/some/random/test/with/registry:latest",
        "default.example.com/some/random/test/with/registry:latest",
      ],
      ["harbor.geo.k8s.twr.io/stuff/magtape:latest", "harbor.geo.k8s.twr.io/stuff/magtape:latest"],
      [`kindest/node@${SHA}`, `my.example.com/mirror-docker.io/kindest/node@${SHA}`],
      ["harbor.geo.pks.twr.io/stuff/magtape:1", "harbor2.com/stuff/magtape:1"],
      ["registry.waldo.com:8443/team/app:1", "registry.garply.com/team/app:1"],
      ["registry.foo.com/team/app:1", "localhost:30003/foo/team/app:1"],
      ["registry.bar.com:8443/team/app:1", "registry.baz.com:30003/bar/team/app:1"],
    ]);
  });

  it("should leave images alone when the default is empty", () => {
    expectSwaps(fixture("predecessor-empty-default.conf"), [
      ["john.io/paulbower/hello-kubernetes:1.5", "john.io/paulbower/hello-kubernetes:1.5"],
      ["quay.io/solo/gloo", "quay.example3.com/solo/gloo"],
    ]);
  });

  it("should leave unmatched images alone when there is no default", () => {
    expectSwaps(fixture("predecessor-no-default.conf"), [
      ["default.io/paulbower/hello-kubernetes:1.5", "default.io/paulbower/hello-kubernetes:1.5"],
      // DIFF: the predecessor ignored registry lines in a map without default.
      ["quay.io/solo/gloo", "quay.example3.com/solo/gloo"],
    ]);
  });

  it("should send official images to a docker.io/library key", () => {
    expectSwaps(fixture("predecessor-library.conf"), [
      ["nginx:latest", "harbor.example.com/library/nginx:latest"],
      ["tmobile/magtape:latest", "harbor.example.com/tmobile/magtape:latest"],
      // DIFF: the predecessor sent explicit library paths to the docker.io key (or crashed
      // when there was none); the same image is the same image here.
      ["docker.io/library/nginx:latest", "harbor.example.com/library/nginx:latest"],
      ["index.docker.io/library/nginx", "harbor.example.com/library/nginx"],
    ]);
  });

  it("should apply [EXACT] lines before everything else", () => {
    expectSwaps(fixture("predecessor-exact.conf"), [
      ["any-image", "default.example.com/any-image"],
      ["nvcr.io/any-image", "harbor.example.com/any-image"],
      ["hello-world", "myownrepo.example.com/base/public-image-cache:hello-world"],
      ["ubutun:18.04", "myownrepo.example.com/base/public-image-cache:ubuntu_18.04"],
      ["mysql/mysql-server", "myownrepo.example.com/base/public-image-cache:mysql_mysql-server"],
      [
        "mysql/mysql-server:5.6",
        "myownrepo.example.com/base/public-image-cache:mysql_mysql-server_5.6",
      ],
      [
        "nvcr.io/nvidia:k8s-device-plugin_v0.9.0",
        "myownrepo.example.com/base/private-image-cache:nvcr.io_nvidia_k8s-device-plugin_v0.9.0",
      ],
      // No tag is inferred: an untagged key does not match a tagged image.
      ["hello-world:latest", "default.example.com/hello-world:latest"],
      // DIFF: keys match on the normalized name.
      [
        "docker.io/library/hello-world",
        "myownrepo.example.com/base/public-image-cache:hello-world",
      ],
    ]);
  });

  it("should apply [REPLACE] globs in file order after [EXACT] lines", () => {
    expectSwaps(fixture("predecessor-replace.conf"), [
      ["any-image", "default.example.com/any-image"],
      ["nvcr.io/any-image", "harbor.example.com/any-image"],
      ["redis", "myownrepo.example.com/base/public-image-cache:redis"],
      ["hello-world", "myownrepo.example.com/base/public-image-cache/hello-world"],
      ["ubutun:18.04", "myownrepo.example.com/base/ubutun:18.04"],
      ["mysql/mysql-server:5.6", "myownrepo.example.com/base/public-image-cache/mysql-server:5.6"],
      [
        "nvcr.io/nvidia:k8s-device-plugin_v0.9.0",
        "myownrepo.example.com/base/nvidia:k8s-device-plugin_v0.9.0",
      ],
      ["hello:v1.1", "myownrepo.example.com/base/public-image-cache/hello:v1.1"],
      ["auto", "auto"],
    ]);
  });
});

describe("map files: the predecessor's documented examples", () => {
  it("should swap per the documented example map", () => {
    expectSwaps(fixture("docs-example.conf"), [
      ["ghcr.io/fantasy/coolstuff:v1.0", "my-local-registry.com/patched-coolstuff:latest"],
      ["ghcr.io/public-tools/cli:2", "my-local-registry.com/cli:2"],
      ["harbor.geo.pks.twr.io/stuff/app:1", "harbor2.com/stuff/app:1"],
      ["gcr.io/distroless/static", "default.example.com/distroless/static"],
    ]);
  });

  it.each([
    [
      "swap only gcr.io",
      "default:\ngcr.io::harbor.internal.example.com",
      [
        ["gcr.io/distroless/static", "harbor.internal.example.com/distroless/static"],
        ["quay.io/org/app", "quay.io/org/app"],
      ],
    ],
    [
      "swap everything but gcr.io",
      "default::harbor.internal.example.com\ngcr.io::",
      [
        ["gcr.io/distroless/static", "gcr.io/distroless/static"],
        ["quay.io/org/app", "harbor.internal.example.com/org/app"],
      ],
    ],
    [
      "imitate LEGACY",
      "default::harbor.internal.example.com\nnoswap_wildcards::harbor.internal.example.com",
      [
        ["harbor.internal.example.com/org/app", "harbor.internal.example.com/org/app"],
        ["quay.io/org/app", "harbor.internal.example.com/org/app"],
      ],
    ],
    [
      "skip a pattern",
      "default::harbor.internal.example.com\nnoswap_wildcards::example.com",
      [
        ["example.com/image:latest", "example.com/image:latest"],
        ["external.example.com/image:v1.0", "external.example.com/image:v1.0"],
        ["edge.example.com/image:latest", "edge.example.com/image:latest"],
        ["quay.io/org/app", "harbor.internal.example.com/org/app"],
      ],
    ],
    [
      "skip a pattern but one registry",
      "default:harbor.internal.example.com\nexternal.example.com:harbor.internal.example.com\nnoswap_wildcards:example.com",
      [
        ["edge.example.com/image:latest", "edge.example.com/image:latest"],
        ["external.example.com/image:latest", "harbor.internal.example.com/image:latest"],
      ],
    ],
    // The predecessor's page says tmobile/magtape goes to harbor too, but its `docker.io::`
    // line (and its code) leave it alone; the map wins here as it did there.
    [
      "library images apart",
      "default::\ndocker.io::\ndocker.io/library::harbor.example.com/library",
      [
        ["nginx:latest", "harbor.example.com/library/nginx:latest"],
        ["tmobile/magtape:latest", "tmobile/magtape:latest"],
      ],
    ],
  ] as Array<[string, string, Array<[string, string]>]>)("should %s", (_name, map, rows) => {
    expectSwaps(map, rows);
  });
});

describe("map files: where the predecessor was plainly wrong (DIFF)", () => {
  it.each([
    // registry text replaced inside the path, and "." acting as a regex wildcard
    [
      "quay.io::quay.example3.com\ndefault::",
      "quay.io/quay.io/app",
      "quay.example3.com/quay.io/app",
    ],
    [
      "quay.io::mirror.example.com\ndefault::",
      "quay.io/org/quayxio",
      "mirror.example.com/org/quayxio",
    ],
    // a trailing comma used to keep every image out of the default
    [
      "default::mirror.example.com\nnoswap_wildcards::twr.io,",
      "quay.io/app",
      "mirror.example.com/app",
    ],
    // localhost and host:port registries were taken for Docker Hub namespaces
    [
      "default::mirror.example.com\ndocker.io::hub.example.com",
      "localhost:5000/app",
      "mirror.example.com/app",
    ],
    // the greedy port strip dropped path components in prefix mode
    [
      "default::\ncool.io::my.example.com/mirror-",
      "cool.io:443/a/b:1",
      "my.example.com/mirror-cool.io/a/b:1",
    ],
    // a second pass swapped an already swapped image again
    [
      "default::default.example.com\ndocker.io::my.example.com/mirror-",
      "my.example.com/mirror-docker.io/alpine",
      "my.example.com/mirror-docker.io/alpine",
    ],
    // a registry target with a path kept the source port: an invalid reference
    [
      "default::\ncool.io::mirror.example.com/cool",
      "cool.io:443/a/b:1",
      "mirror.example.com/cool/a/b:1",
    ],
  ])("with %j should swap %s to %s", (map, image, output) => {
    expect(swapAll(map, [image])).toEqual([output]);
  });
});

describe("policyFromMapFile", () => {
  it.each([
    "predecessor-main.conf",
    "predecessor-exact.conf",
    "predecessor-replace.conf",
    "predecessor-library.conf",
    "docs-example.conf",
  ])("should convert %s into a structured policy that swaps the same way", name => {
    const text = fixture(name);
    const images = [
      "nginx:latest",
      "alpine",
      "quay.io/solo/gloo:v1",
      "registry.internal.twr.io:443/istio/istiod",
      "cool.io:443/a/b",
      "walrus.io/x/y",
      "hello-world",
      "ubutun:18.04",
      "mysql/mysql-server:5.6",
      "nvcr.io/nvidia:k8s-device-plugin_v0.9.0",
      "ghcr.io/public-x/y:1",
      "registry.bar.com:8443/a",
      "gitlab.com/a/b/c",
      "auto",
      "redis",
      "docker.io/library/nginx",
      `kindest/node@${SHA}`,
    ];

    const { input } = policyFromMapFile(text, "converted");

    expect(swapAll(text, images)).toEqual(
      images.map(image => compile([input], 1).table.swap(image).output),
    );
  });
});
