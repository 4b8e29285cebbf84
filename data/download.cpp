// Downloads (see download.h). Layer: data. External programs run through posix_spawnp with an
// argument vector (no shell), so a path or URL is never interpreted. Sources of the table:
// - CIFAR-10/100 binary: the URLs of Krizhevsky's CIFAR page; the MD5s torchvision's CIFAR
//   classes carry (c32a1d4a… and 03b5dce0…, the ones the page's files have always had).
// - Fashion-MNIST: the four files of zalandoresearch/fashion-mnist (data/fashion/ on GitHub, the
//   same bytes its S3 mirror serves), MD5s from torchvision's FashionMNIST resources.
// - CIFAR10-DVS: the ten per-class zips of figshare article 4724671 (CIFAR10-DVS_New), URLs and
//   MD5s from SpikingJelly's CIFAR10DVS.resource_url_md5().
#include "data/download.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "data/md5.h"
#include "tensor/error.h"

extern char** environ;

namespace staa::data {
namespace {

namespace fs = std::filesystem;

const char* kFigshare = "https://ndownloader.figshare.com/files/";
const char* kFashion =
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/";

Resource dvs_zip(const char* cls, const char* id, const char* md5) {
  return {std::string(cls) + ".zip", std::string(kFigshare) + id, md5, Extract::kZip};
}

std::vector<DownloadSpec> make_table() {
  std::vector<DownloadSpec> t;
  t.push_back(
      {"cifar10",
       "CIFAR-10 (binary version)",
       "cifar-10-batches-bin/data_batch_1.bin ...",
       {{"cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
         "c32a1d4ab5d03f1284b67883e8d87530", Extract::kTarGz}}});
  t.push_back(
      {"cifar100",
       "CIFAR-100 (binary version)",
       "cifar-100-binary/train.bin, test.bin",
       {{"cifar-100-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
         "03b5dce01913d631647c71ecec9e9cb8", Extract::kTarGz}}});
  t.push_back({"fashion-mnist",
               "Fashion-MNIST",
               "train-images-idx3-ubyte.gz ... (gzipped IDX)",
               {{"train-images-idx3-ubyte.gz", std::string(kFashion) + "train-images-idx3-ubyte.gz",
                 "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
                {"train-labels-idx1-ubyte.gz", std::string(kFashion) + "train-labels-idx1-ubyte.gz",
                 "25c81989df183df01b3e8a0aad5dffbe"},
                {"t10k-images-idx3-ubyte.gz", std::string(kFashion) + "t10k-images-idx3-ubyte.gz",
                 "bef4ecab320f06d8554ea6380940ec79"},
                {"t10k-labels-idx1-ubyte.gz", std::string(kFashion) + "t10k-labels-idx1-ubyte.gz",
                 "bb300cfdad3c16e7a12a480ee83cd310"}}});
  t.push_back({"cifar10-dvs",
               "CIFAR10-DVS (AEDAT 2.0)",
               "<class>/cifar10_<class>_<i>.aedat",
               {dvs_zip("airplane", "7712788", "0afd5c4bf9ae06af762a77b180354fdd"),
                dvs_zip("automobile", "7712791", "8438dfeba3bc970c94962d995b1b9bdd"),
                dvs_zip("bird", "7712794", "a9c207c91c55b9dc2002dc21c684d785"),
                dvs_zip("cat", "7712812", "52c63c677c2b15fa5146a8daf4d56687"),
                dvs_zip("deer", "7712815", "b6bf21f6c04d21ba4e23fc3e36c8a4a3"),
                dvs_zip("dog", "7712818", "f379ebdf6703d16e0a690782e62639c3"),
                dvs_zip("frog", "7712842", "cad6ed91214b1c7388a5f6ee56d08803"),
                dvs_zip("horse", "7712851", "e7cbbf77bec584ffbf913f00e682782a"),
                dvs_zip("ship", "7712836", "41c7bd7d6b251be82557c6cce9a7d5c9"),
                dvs_zip("truck", "7712839", "89f3922fd147d9aeff89e76a2b0b70a7")}});
  return t;
}

// Runs argv[0] with argv (PATH lookup, no shell); returns its exit status, -1 if it did not run.
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void fetch(const Resource& r, const std::string& dest, const DownloadOptions& options) {
  const std::string part = dest + ".part";
  std::fprintf(stderr, "download: %s -> %s\n", r.url.c_str(), dest.c_str());
  const int code = run_program({options.curl, "-fL", "--retry", "2",
                                options.progress ? "--progress-bar" : "-sS", "-o", part, r.url});
  STAA_CHECK(code == 0, "download: ", r.url, ": expected ", options.curl, " to fetch it into ",
             part, ", it exited with ",
             code == -1 ? "an error (is curl installed?)" : "status " + std::to_string(code));
  const std::string got = md5_file(part);
  if (got != r.md5) {
    std::error_code ec;
    fs::remove(part, ec);
    STAA_FAIL("download: ", r.url, ": expected MD5 ", r.md5, ", found ", got,
              " (the file was deleted; the server may have changed it or the transfer broke)");
  }
  std::error_code ec;
  fs::rename(part, dest, ec);
  STAA_CHECK(!ec, "download: cannot rename ", part, " to ", dest, " (", ec.message(), ")");
}

void extract(const Resource& r, const std::string& archive, const std::string& root) {
  if (r.extract == Extract::kNone) return;
  std::fprintf(stderr, "download: extracting %s\n", archive.c_str());
  const std::vector<std::string> args =
      r.extract == Extract::kTarGz
          ? std::vector<std::string>{"tar", "-xzf", archive, "-C", root}
          : std::vector<std::string>{"unzip", "-q", "-o", archive, "-d", root};
  const int code = run_program(args);
  STAA_CHECK(
      code == 0, archive, ": expected ", args[0], " to extract it into ", root, ", it exited with ",
      code == -1 ? "an error (is " + args[0] + " installed?)" : "status " + std::to_string(code));
}

}  // namespace

const std::vector<DownloadSpec>& download_table() {
  static const std::vector<DownloadSpec> table = make_table();
  return table;
}

const DownloadSpec& download_spec(const std::string& name) {
  std::string known;
  for (const DownloadSpec& s : download_table()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  STAA_FAIL("download: expected one of ", known, ", found '", name, "'",
            name == "dvs128-gesture" ? " (" + dvs128_gesture_instructions("<root>") + ")" : "");
}

void download(const DownloadSpec& spec, const std::string& root, const DownloadOptions& options) {
  std::error_code ec;
  fs::create_directories(root, ec);
  STAA_CHECK(!ec, root, ": cannot create the download folder (", ec.message(), ")");
  for (const Resource& r : spec.resources) {
    const std::string dest = (fs::path(root) / r.file).string();
    if (fs::is_regular_file(dest, ec) && md5_file(dest) == r.md5) {
      std::fprintf(stderr, "download: %s present, checksum ok\n", dest.c_str());
    } else {
      fetch(r, dest, options);
    }
    extract(r, dest, root);
    if (!options.keep_archives && r.extract != Extract::kNone) fs::remove(dest, ec);
  }
}

void download(const std::string& name, const std::string& root, const DownloadOptions& options) {
  download(download_spec(name), root, options);
}

std::string dvs128_gesture_instructions(const std::string& root) {
  return "DVS128 Gesture needs a manual download: IBM serves it only through a web page. Get "
         "DvsGesture.tar.gz from IBM's DVS128 Gesture page (http://research.ibm.com/dvsgesture/; "
         "the files lie in the IBM Box folder https://ibm.ent.box.com/s/"
         "3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794), run `tar -xzf DvsGesture.tar.gz "
         "-C " +
         root + "`, so that " + root +
         "/DvsGesture/ holds user01_fluorescent.aedat, "
         "user01_fluorescent_labels.csv, ... and trials_to_train.txt, trials_to_test.txt";
}

std::string how_to_get(const std::string& name, const std::string& root) {
  if (name == "dvs128-gesture") return dvs128_gesture_instructions(root);
  if (name == "imagenet") {
    return "ImageNet needs a manual download (image-net.org, ILSVRC2012); lay it out as " + root +
           "/train/<wnid>/*.JPEG and " + root + "/val/<wnid>/*.JPEG";
  }
  for (const DownloadSpec& s : download_table()) {
    if (s.name != name) continue;
    std::string text = "run staa::data::download(\"" + name + "\", \"" + root + "\"), or fetch ";
    for (size_t i = 0; i < s.resources.size() && i < 2; ++i)
      text += (i ? ", " : "") + s.resources[i].url;
    if (s.resources.size() > 2) text += ", ...";
    text += " into " + root + " and extract it there (" + s.layout + ")";
    if (name == "fashion-mnist") {
      text +=
          "; on Debian, apt-get install dataset-fashion-mnist puts it in "
          "/usr/share/datasets/fashion-mnist";
    }
    return text;
  }
  return "";
}

}  // namespace staa::data
