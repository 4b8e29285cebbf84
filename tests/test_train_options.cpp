// The trainer's options: presets with their sources, both command-line forms, and errors that
// name the option and what it accepts. Layer: tests.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "tensor/backend.h"
#include "trainer/options.h"

namespace staa::train {
namespace {

TEST(Options, PresetsRecordTheirSource) {
  const Options c10("cifar10");
  EXPECT_EQ(c10.get_int("epochs"), 500);
  EXPECT_EQ(c10.option("epochs").source, "supplement §8");
  EXPECT_EQ(c10.get_float("beta"), 0.0);
  EXPECT_EQ(c10.get_float("lr"), 0.1);
  const Options dvs("cifar10-dvs");
  EXPECT_EQ(dvs.get_int("T"), 16);
  EXPECT_EQ(dvs.get_float("lr"), 0.01);
  EXPECT_EQ(dvs.get_int("batch_size"), 8);
  EXPECT_EQ(dvs.get("model"), "vggsnn");
  EXPECT_EQ(Options("imagenet").get_int("batch_size"), 64);
}

TEST(Options, BothCommandLineFormsAndBareFlags) {
  Options o("fashion-mnist");
  o.parse(
      {"T=2", "--lr", "0.05", "--nesterov", "--neuron=lif", "gc=0", "--download", "--epochs", "3"});
  EXPECT_EQ(o.get_int("T"), 2);
  EXPECT_EQ(o.get_float("lr"), 0.05);
  EXPECT_TRUE(o.get_bool("nesterov"));
  EXPECT_TRUE(o.get_bool("download"));
  EXPECT_EQ(o.get("neuron"), "lif");
  EXPECT_FALSE(o.get_bool("gc"));
  EXPECT_EQ(o.get_int("epochs"), 3);
  EXPECT_EQ(o.option("lr").source, "command line");
  EXPECT_NE(o.str().find("lr = 0.05  (command line)"), std::string::npos);
}

TEST(Options, DeviceIsCpuCudaOrCudaIndex) {
  Options o("mnist");
  EXPECT_EQ(o.get_device("device"), Device::cpu());
  o.parse({"device=cuda:1"});
  EXPECT_EQ(o.get_device("device"), Device::cuda(1));
  o.parse({"--device", "cuda"});
  EXPECT_EQ(o.get_device("device"), Device::cuda(0));
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:12345", "CUDA", "cpu:0"}) {
    const std::string got = "got '" + std::string(bad) + "'";
    test::expect_error([&] { o.set("device", bad, "test"); },
                       {"option device: expected cpu, cuda or cuda:<index>", got.c_str()});
  }
  EXPECT_EQ(o.get("device"), "cuda") << "a refused value leaves the option as it was";
  EXPECT_FALSE(Options("mnist").get_bool("allow_tf32"));
  EXPECT_TRUE(Options("mnist").get_bool("winograd"));
}

TEST(Options, ACudaDeviceWithoutAGpuFailsNamingTheOption) {
  if (cuda_available()) GTEST_SKIP() << "a GPU is present";
  Options o("mnist");
  o.set("device", "cuda", "test");
  test::expect_error([&] { checked_device(o); }, {"option device=cuda", "use device=cpu"});
  o.set("device", "cpu", "test");
  EXPECT_EQ(checked_device(o), Device::cpu());
}

TEST(Options, ErrorsNameTheOptionAndTheAllowedValues) {
  Options o("cifar10");
  test::expect_error([&] { o.parse({"neuron=izhikevich"}); },
                     {"option neuron", "lif, adaptive, staa", "'izhikevich'"});
  test::expect_error([&] { o.parse({"T=four"}); }, {"option T", "integer", "'four'"});
  test::expect_error([&] { o.parse({"--lr"}); }, {"option lr", "a value after --lr"});
  test::expect_error(
      [&] {
        o.parse({"--learning_rate", "1"});
      },
      {"unknown option 'learning_rate'", "lr"});
  test::expect_error([&] { o.parse({"gc=yes"}); }, {"option gc", "0, 1, true or false"});
  test::expect_error([] { Options bad("cifar11"); }, {"unknown dataset 'cifar11'", "cifar10"});
}

TEST(Options, HelpListsDatasetsModelsAndEveryOption) {
  const std::string h = Options::help({"resnet20", "tiny"});
  for (const char* s : {"cifar10-dvs", "dvs128-gesture", "resnet20", "weight_decay", "MPBN lineage",
                        "lif, adaptive, staa", "presets:"})
    EXPECT_NE(h.find(s), std::string::npos) << s;
}

}  // namespace
}  // namespace staa::train
